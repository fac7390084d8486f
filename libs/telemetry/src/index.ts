// @ftune/telemetry — OpenTelemetry setup (loaded first by every app), trace propagation across
// process boundaries, and the metric instruments ftune emits.
export * from './setup';
export * from './propagation';
export * from './metrics';
