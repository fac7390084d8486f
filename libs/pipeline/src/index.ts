// @ftune/pipeline — the pipeline and its run lifecycle: the stage handlers, the stage chain (from
// contracts' Stages), the one wrapper every host runs a stage in, the run record and its fold, the
// embedded runner on the in-process bus, and the run's report.
export * from './bus';
export * from './config';
export * from './remote-config';
export * from './stage';
export * from './stages';
export * from './runner';
export * from './lifecycle/cancellation';
export * from './lifecycle/chain';
export * from './lifecycle/lease';
export * from './lifecycle/outbox';
export * from './lifecycle/run-id';
export * from './lifecycle/run-record';
export * from './lifecycle/run-records';
export * from './lifecycle/run-summary';
export * from './lifecycle/service-report';
export * from './lifecycle/stage-runner';
export { buildRunReport, trainedParametersOf } from './report';
export * from './tracking';
