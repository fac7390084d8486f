// @ftune/common — small shared utilities used by every stage: user errors, line streams, seeded random numbers.
export * from './errors';
export * from './lines';
export * from './random';
