// @ftune/common — small shared utilities used by every stage.
export * from './errors';
export * from './lines';
