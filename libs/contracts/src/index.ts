// @ftune/contracts — Kafka topics, event payload types and their runtime validators.
export * from './topics';
export * from './events';
