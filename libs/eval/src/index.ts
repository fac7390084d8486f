// @ftune/eval — Evaluation: test loss, perplexity, task metrics, generation metrics, baselines and reports.
export * from './analysis/errors';
export * from './data/examples';
export * from './definitions';
export * from './evaluate';
export * from './evaluate-model';
export * from './metrics/calibration';
export * from './metrics/classification';
export * from './metrics/generation/bleu';
export * from './metrics/generation/rouge';
export * from './metrics/generation/squad';
export * from './metrics/lm';
export * from './result';
export * from './scoring/label-scoring';
export * from './scoring/scorer';
export * from './stats/bootstrap';
export * from './stats/random';
export * from './report';
