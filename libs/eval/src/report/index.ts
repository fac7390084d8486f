// Report building blocks: the page wrapper, section components, inline-SVG charts and checks.
export * from './charts/bars';
export * from './charts/heatmap';
export * from './charts/lines';
export * from './charts/scale';
export * from './components';
export * from './eval-section';
export * from './html';
export * from './page';
export * from './training-curves';
export * from './xml-check';
export * from './charts/svg';
