// @ftune/bias-audit — dataset and model bias audits, fairness metrics, mitigations, a release gate.
export * from './terms/terms';
export * from './terms/match';
export * from './metrics/stats';
export * from './metrics/fairness';
export * from './dataset-audit';
export * from './counterfactual';
export * from './stereotype';
export * from './gate';
export * from './csv';
export * from './mitigation/reweigh';
export * from './mitigation/augment';
export * from './mitigation/output-filter';
export * from './job/audit-job';
export * from './report/audit-section';
