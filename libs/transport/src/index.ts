// @ftune/transport — the service kit the six services share: env configuration, bearer-token auth, gRPC
// server options with health and error mapping, the gRPC client, the Kafka producer and consumers
// (bounded retries counted across processes, dead-letter topics), structured logs, start and graceful
// shutdown. Nothing about runs or training: the run lifecycle is @ftune/pipeline's, training jobs are
// @ftune/train-jobs'.
// The configuration alone, without NestJS, gRPC or Kafka: `@ftune/transport/config`.
export * from './auth';
export * from './client';
export * from './config';
export * from './consumer';
export * from './deliveries';
export * from './grpc';
export * from './kafka';
export * from './log';
export * from './on-event';
export * from './service';
export * from './telemetry';
