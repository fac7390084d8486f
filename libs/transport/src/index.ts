// @ftune/transport — what the six services share: env configuration, bearer-token auth, gRPC options with
// health and error mapping, Kafka producer and consumers (bounded retries, dead-letter topics), the stage
// runner, structured logs, start and graceful shutdown. Apps hold only their controllers and module.
export * from './auth';
export * from './client';
export * from './config';
export * from './consumer';
export * from './grpc';
export * from './job-runner';
export * from './k8s-job-runner';
export * from './kafka';
export * from './log';
export * from './messages';
export * from './on-event';
export * from './remote-config';
export * from './run-records';
export * from './runs';
export * from './service';
export * from './stage-runner';
export * from './train-job-main';
export * from './train-jobs';
