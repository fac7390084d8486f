// @ftune/pipeline — The pipeline stage handlers and the in-process event bus that runs them in order.
export * from './bus';
export * from './config';
export * from './stage';
export * from './stages';
export * from './runner';
export { buildRunReport } from './report';
export * from './tracking';
