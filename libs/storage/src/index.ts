// @ftune/storage — the artifact store (a local folder by default) and its path-safety rules.
export * from './paths';
export * from './store';
