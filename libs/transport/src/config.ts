// Service configuration from the environment (the Helm chart's variables), validated at start so a
// misconfigured pod fails at once with every problem named instead of failing on its first message.
// Flags of `ftune serve` override the environment; the only files read are the gRPC TLS PEM files named.
import { readFileSync } from 'node:fs';
import { UserError } from '@ftune/common';

/** The six services and their default gRPC ports (the Helm chart uses the same). */
export const SERVICE_PORTS = {
  pipeline: 50051,
  ingest: 50052,
  tokenize: 50053,
  train: 50054,
  evaluate: 50055,
  audit: 50056,
} as const;

export type ServiceName = keyof typeof SERVICE_PORTS;
export const SERVICE_NAMES = Object.keys(SERVICE_PORTS) as ServiceName[];

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

export interface KafkaSettings {
  brokers: string[];
  /** Consumer group prefix: a stage's group is `<prefix>-<stage>-server`. */
  groupPrefix: string;
  ssl: boolean;
  /** Prepended to every topic name (isolates environments sharing a cluster); default none. */
  topicPrefix: string;
  sasl?: { mechanism: SaslMechanism; username: string; password: string };
}

export interface ServiceConfig {
  service: ServiceName;
  /** host:port the gRPC server binds. */
  bind: string;
  port: number;
  artifactsDir: string;
  /** The bearer token every RPC must carry. */
  authToken: string;
  kafka: KafkaSettings;
  /** Largest gRPC message accepted, bytes. */
  maxMessageBytes: number;
  /** Delivery attempts of one Kafka message before it goes to the dead-letter topic. */
  maxAttempts: number;
  /** Backoff before the second attempt, doubled each time, ms. */
  retryBackoffMs: number;
  /** Longest one attempt at a Kafka message may run before it is aborted and counted failed, ms. */
  attemptTimeoutMs: number;
  /** Longest a graceful stop (SIGTERM) may take before the process exits anyway, ms (under the pod's grace period). */
  shutdownGraceMs: number;
  /** TLS on the gRPC port (PEM); with clientCa, every client must present a certificate it signed (mTLS). */
  grpcTls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  /** A plaintext port answering grpc.health.v1 only, for probes that cannot speak TLS. */
  healthPort?: number;
}

export type Env = Record<string, string | undefined>;

const SASL: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

function bool(name: string, value: string | undefined, problems: string[]): boolean {
  if (value === undefined || value === '') return false;
  if (/^(1|true|yes)$/i.test(value)) return true;
  if (/^(0|false|no)$/i.test(value)) return false;
  problems.push(`${name}: expected true or false, got ${JSON.stringify(value)}`);
  return false;
}

function int(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name}: expected an integer in ${min}..${max}, got ${JSON.stringify(value)}`);
    return fallback;
  }
  return n;
}

/** Reads and validates a service's configuration; throws one UserError naming every problem. */
export function loadServiceConfig(
  service: string,
  env: Env = process.env,
  options: { requireAuth?: boolean } = {},
): ServiceConfig {
  const problems: string[] = [];
  if (!(service in SERVICE_PORTS)) {
    throw new UserError(`unknown service ${JSON.stringify(service)}: one of ${SERVICE_NAMES.join(', ')}`);
  }
  const name = service as ServiceName;
  const port = int('FTUNE_GRPC_PORT', env.FTUNE_GRPC_PORT, SERVICE_PORTS[name], 1, 65535, problems);
  const brokers = (env.FTUNE_KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0 || brokers.some((b) => !/^[^\s:]+:\d{1,5}$/.test(b))) {
    problems.push(
      `FTUNE_KAFKA_BROKERS: expected host:port[,host:port…], got ${JSON.stringify(env.FTUNE_KAFKA_BROKERS)}`,
    );
  }
  const authToken = env.FTUNE_AUTH_TOKEN ?? '';
  if ((options.requireAuth ?? true) && authToken.length < 16)
    problems.push('FTUNE_AUTH_TOKEN: required, at least 16 characters');
  const artifactsDir = env.FTUNE_ARTIFACTS_DIR ?? '';
  if (env.FTUNE_KAFKA_TOPIC_PREFIX && !/^[A-Za-z0-9._-]{1,100}$/.test(env.FTUNE_KAFKA_TOPIC_PREFIX)) {
    problems.push('FTUNE_KAFKA_TOPIC_PREFIX: letters, digits, ".", "_" or "-" only');
  }
  if (!artifactsDir) problems.push('FTUNE_ARTIFACTS_DIR: required (the artifact store folder)');
  let sasl: KafkaSettings['sasl'];
  const mechanism = (env.FTUNE_KAFKA_SASL_MECHANISM ?? '').toLowerCase();
  if (mechanism) {
    if (!SASL.includes(mechanism as SaslMechanism)) {
      problems.push(
        `FTUNE_KAFKA_SASL_MECHANISM: one of ${SASL.join(', ')}, got ${JSON.stringify(mechanism)}`,
      );
    }
    const username = env.FTUNE_KAFKA_SASL_USERNAME ?? '';
    const password = env.FTUNE_KAFKA_SASL_PASSWORD ?? '';
    if (!username || !password) {
      problems.push(
        'FTUNE_KAFKA_SASL_USERNAME and FTUNE_KAFKA_SASL_PASSWORD: required with a SASL mechanism',
      );
    }
    sasl = { mechanism: mechanism as SaslMechanism, username, password };
  }
  const config: ServiceConfig = {
    service: name,
    bind: env.FTUNE_GRPC_HOST ?? '0.0.0.0',
    port,
    artifactsDir,
    authToken,
    kafka: {
      brokers,
      groupPrefix: env.FTUNE_KAFKA_GROUP_PREFIX || 'ftune',
      ssl: bool('FTUNE_KAFKA_SSL', env.FTUNE_KAFKA_SSL, problems),
      topicPrefix: env.FTUNE_KAFKA_TOPIC_PREFIX ?? '',
      sasl,
    },
    maxMessageBytes: int(
      'FTUNE_GRPC_MAX_MESSAGE_BYTES',
      env.FTUNE_GRPC_MAX_MESSAGE_BYTES,
      8 << 20,
      1024,
      64 << 20,
      problems,
    ),
    maxAttempts: int('FTUNE_KAFKA_MAX_ATTEMPTS', env.FTUNE_KAFKA_MAX_ATTEMPTS, 3, 1, 20, problems),
    retryBackoffMs: int(
      'FTUNE_KAFKA_RETRY_BACKOFF_MS',
      env.FTUNE_KAFKA_RETRY_BACKOFF_MS,
      500,
      0,
      60_000,
      problems,
    ),
    attemptTimeoutMs: int(
      'FTUNE_KAFKA_ATTEMPT_TIMEOUT_MS',
      env.FTUNE_KAFKA_ATTEMPT_TIMEOUT_MS,
      7_200_000,
      1000,
      86_400_000,
      problems,
    ),
    shutdownGraceMs: int(
      'FTUNE_SHUTDOWN_GRACE_MS',
      env.FTUNE_SHUTDOWN_GRACE_MS,
      45_000,
      1000,
      600_000,
      problems,
    ),
  };
  const tls = grpcTlsFiles(env, problems);
  if (tls) config.grpcTls = tls;
  if (env.FTUNE_HEALTH_PORT) {
    config.healthPort = int('FTUNE_HEALTH_PORT', env.FTUNE_HEALTH_PORT, 0, 1, 65535, problems);
    if (config.healthPort === port) problems.push('FTUNE_HEALTH_PORT: must differ from FTUNE_GRPC_PORT');
  }
  if (problems.length > 0) {
    throw new UserError(`${name} service configuration: ${problems.join('; ')}`);
  }
  return config;
}

/** Reads one PEM file named by an environment variable; a problem names the variable when it cannot. */
function pemFile(name: string, path: string | undefined, problems: string[]): Buffer | undefined {
  if (!path) return undefined;
  try {
    const pem = readFileSync(path);
    if (!pem.includes('-----BEGIN ')) problems.push(`${name}: ${path} is not a PEM file`);
    return pem;
  } catch (error) {
    problems.push(`${name}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/** FTUNE_GRPC_TLS_CERT and _KEY (both or neither), FTUNE_GRPC_TLS_CLIENT_CA for mTLS. */
function grpcTlsFiles(env: Env, problems: string[]): ServiceConfig['grpcTls'] {
  const cert = pemFile('FTUNE_GRPC_TLS_CERT', env.FTUNE_GRPC_TLS_CERT, problems);
  const key = pemFile('FTUNE_GRPC_TLS_KEY', env.FTUNE_GRPC_TLS_KEY, problems);
  const clientCa = pemFile('FTUNE_GRPC_TLS_CLIENT_CA', env.FTUNE_GRPC_TLS_CLIENT_CA, problems);
  if (!env.FTUNE_GRPC_TLS_CERT !== !env.FTUNE_GRPC_TLS_KEY)
    problems.push('FTUNE_GRPC_TLS_CERT and FTUNE_GRPC_TLS_KEY: give both or neither');
  if (env.FTUNE_GRPC_TLS_CLIENT_CA && !env.FTUNE_GRPC_TLS_CERT)
    problems.push(
      'FTUNE_GRPC_TLS_CLIENT_CA: needs FTUNE_GRPC_TLS_CERT and FTUNE_GRPC_TLS_KEY (mTLS is TLS first)',
    );
  return cert && key ? { cert, key, ...(clientCa ? { clientCa } : {}) } : undefined;
}

/** The consumer group of a service, named as NestJS's Kafka transport would (`-server` suffix), which the chart's KEDA triggers watch. */
export function consumerGroup(kafka: KafkaSettings, service: ServiceName): string {
  return `${kafka.groupPrefix}-${service}-server`;
}
