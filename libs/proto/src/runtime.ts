// Where the gRPC contracts are at run time and how to load them so that messages have the shape of
// the generated interfaces. The NestJS gRPC transport and @grpc/grpc-js clients load the .proto files
// from proto/ (shipped with the repository, never copied) with these options.
import { resolve } from 'node:path';

/** proto/ at the repository root: the import root of every .proto file. */
export const PROTO_ROOT = resolve(__dirname, '../../../proto');

/** Each service's package and file (relative to PROTO_ROOT). */
export const ProtoServices = {
  pipeline: { package: 'ftune.pipeline.v1', service: 'RunService', file: 'ftune/pipeline/v1/pipeline.proto' },
  ingest: { package: 'ftune.ingest.v1', service: 'DatasetService', file: 'ftune/ingest/v1/ingest.proto' },
  tokenize: {
    package: 'ftune.tokenize.v1',
    service: 'TokenizerService',
    file: 'ftune/tokenize/v1/tokenize.proto',
  },
  train: { package: 'ftune.train.v1', service: 'TrainingService', file: 'ftune/train/v1/train.proto' },
  evaluate: {
    package: 'ftune.evaluate.v1',
    service: 'EvaluationService',
    file: 'ftune/evaluate/v1/evaluate.proto',
  },
  audit: { package: 'ftune.audit.v1', service: 'BiasAuditService', file: 'ftune/audit/v1/audit.proto' },
} as const;

export type ProtoServiceName = keyof typeof ProtoServices;

/**
 * @grpc/proto-loader options matching the generated types: camelCase field names, int64 as number,
 * enums as numbers, unset scalars, lists and maps as their defaults, unset messages as null; of a
 * oneof (and of a proto3 `optional` field) only the member that is set is present, as ts-proto types it.
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  arrays: true,
  objects: true,
  oneofs: false,
  includeDirs: [PROTO_ROOT],
};

/** Absolute path of a service's .proto file. */
export function protoPath(name: ProtoServiceName): string {
  return resolve(PROTO_ROOT, ProtoServices[name].file);
}

/** The `options` of a NestJS gRPC microservice (Transport.GRPC) or client serving `name` at `url`. */
export function grpcTransportOptions(name: ProtoServiceName, url: string) {
  return {
    package: ProtoServices[name].package,
    protoPath: protoPath(name),
    url,
    loader: PROTO_LOADER_OPTIONS,
  };
}
