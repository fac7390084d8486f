// OpenTelemetry setup, loaded first by every app (each app's instrumentation.ts calls
// startTelemetry before anything imports grpc-js, kafkajs or NestJS). Exporters are configured by
// the standard variables: OTEL_EXPORTER_OTLP_ENDPOINT (or the per-signal _TRACES_/_METRICS_ ones),
// OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf, default, or http/json), OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER. With no endpoint set, nothing is exported and no SDK is started (no-op).
import { trace, type ProxyTracerProvider } from '@opentelemetry/api';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

// The SDK, exporters and instrumentations are required only when telemetry is configured, so a
// process without an endpoint (most CLI commands) does not pay for loading them.
function sdkModules() {
  return {
    NodeSDK: (require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node')).NodeSDK,
    resourceFromAttributes: (require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'))
      .resourceFromAttributes,
    PeriodicExportingMetricReader: (
      require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics')
    ).PeriodicExportingMetricReader,
    GrpcInstrumentation: (
      require('@opentelemetry/instrumentation-grpc') as typeof import('@opentelemetry/instrumentation-grpc')
    ).GrpcInstrumentation,
    KafkaJsInstrumentation: (
      require('@opentelemetry/instrumentation-kafkajs') as typeof import('@opentelemetry/instrumentation-kafkajs')
    ).KafkaJsInstrumentation,
    ProtoTraceExporter: (
      require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto')
    ).OTLPTraceExporter,
    JsonTraceExporter: (
      require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')
    ).OTLPTraceExporter,
    ProtoMetricExporter: (
      require('@opentelemetry/exporter-metrics-otlp-proto') as typeof import('@opentelemetry/exporter-metrics-otlp-proto')
    ).OTLPMetricExporter,
    JsonMetricExporter: (
      require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http')
    ).OTLPMetricExporter,
  };
}

export interface TelemetryOptions {
  /** Used when OTEL_SERVICE_NAME is unset, e.g. ftune-ingest. */
  serviceName: string;
  serviceVersion?: string;
  /** Extra resource attributes (e.g. ftune.run_id for a training job). */
  attributes?: Record<string, string>;
  /** Metric export interval in ms (default 10 s; OTEL_METRIC_EXPORT_INTERVAL wins). */
  metricIntervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

export interface Telemetry {
  /** True when an exporter is configured and the SDK runs. */
  readonly enabled: boolean;
  readonly protocol: 'http/protobuf' | 'http/json' | null;
  /** Exports what is buffered (spans and metrics). */
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

const NOOP: Telemetry = {
  enabled: false,
  protocol: null,
  flush: async () => undefined,
  shutdown: async () => undefined,
};

function protocolOf(env: NodeJS.ProcessEnv, signal: 'TRACES' | 'METRICS'): 'http/protobuf' | 'http/json' {
  const p =
    env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (p === 'http/protobuf' || p === 'http/json') return p;
  throw new Error(
    `OTEL_EXPORTER_OTLP_PROTOCOL=${p} is not supported by ftune (use http/protobuf or http/json)`,
  );
}

/** Is any OTLP endpoint configured for traces or metrics? */
export function telemetryConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    env.OTEL_EXPORTER_OTLP_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ||
    env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT,
  );
}

let current: Telemetry | undefined;

/** The telemetry this process started (a no-op handle when none was). */
export function activeTelemetry(): Telemetry {
  return current ?? NOOP;
}

/** Starts the SDK once per process (later calls return the first handle). */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  if (current) return current;
  const env = options.env ?? process.env;
  if (!telemetryConfigured(env) || env.OTEL_SDK_DISABLED === 'true') {
    current = NOOP;
    return current;
  }
  const tracesProtocol = protocolOf(env, 'TRACES');
  const metricsProtocol = protocolOf(env, 'METRICS');
  const {
    NodeSDK,
    resourceFromAttributes,
    PeriodicExportingMetricReader,
    GrpcInstrumentation,
    KafkaJsInstrumentation,
    ProtoTraceExporter,
    JsonTraceExporter,
    ProtoMetricExporter,
    JsonMetricExporter,
  } = sdkModules();
  const traceExporter: SpanExporter =
    tracesProtocol === 'http/json' ? new JsonTraceExporter() : new ProtoTraceExporter();
  const metricExporter: PushMetricExporter =
    metricsProtocol === 'http/json' ? new JsonMetricExporter() : new ProtoMetricExporter();
  const metricReader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: Number(env.OTEL_METRIC_EXPORT_INTERVAL ?? options.metricIntervalMs ?? 10_000),
  });
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || options.serviceName, // an empty variable counts as unset
    resource: resourceFromAttributes({
      'service.version': options.serviceVersion ?? '0.1.0',
      'service.namespace': 'ftune',
      ...options.attributes,
    }),
    traceExporter,
    metricReader,
    instrumentations: [new GrpcInstrumentation(), new KafkaJsInstrumentation()],
  });
  sdk.start();
  current = {
    enabled: true,
    protocol: tracesProtocol,
    async flush() {
      // the SDK's span processor batches: flush the provider, not only the exporter
      const provider = (trace.getTracerProvider() as ProxyTracerProvider).getDelegate() as {
        forceFlush?: () => Promise<void>;
      };
      await provider.forceFlush?.();
      await metricReader.forceFlush();
    },
    async shutdown() {
      await sdk.shutdown();
    },
  };
  return current;
}
