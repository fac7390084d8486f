// The metric instruments ftune emits, by name (dashboards in k8s/ query these; Prometheus renders
// dots as underscores and adds unit suffixes, e.g. ftune.training.loss → ftune_training_loss).
import { metrics, type Attributes } from '@opentelemetry/api';

export const METRIC_NAMES = {
  trainingLoss: 'ftune.training.loss',
  evalLoss: 'ftune.training.eval_loss',
  tokenAccuracy: 'ftune.training.token_accuracy',
  learningRate: 'ftune.training.learning_rate',
  tokensPerSecond: 'ftune.training.tokens_per_second',
  stepTime: 'ftune.training.step_duration',
  trainingSteps: 'ftune.training.steps',
  recordsIngested: 'ftune.ingest.records',
  recordsRejected: 'ftune.ingest.rejected',
  stageDuration: 'ftune.stage.duration',
  stageFailures: 'ftune.stage.failures',
  consumerLag: 'ftune.kafka.consumer_lag',
  dlqMessages: 'ftune.kafka.dlq_messages',
  rpcDuration: 'ftune.rpc.duration',
  processMemory: 'ftune.process.memory',
} as const;

/** Attribute keys the instruments are recorded with (Prometheus labels: dots become underscores). */
export const METRIC_ATTRIBUTES = {
  runId: 'ftune.run_id',
  stage: 'ftune.stage',
  topic: 'topic',
  rpcMethod: 'rpc.method',
  memoryKind: 'kind',
} as const;

/** The Prometheus name of an instrument as the collector exports it (add_metric_suffixes: false). */
export const prometheusName = (otelName: string) => otelName.replace(/\./g, '_');

/** The instruments, created on the global meter provider (no-ops when telemetry is off). */
export function ftuneInstruments() {
  const meter = metrics.getMeter('ftune', '0.1.0');
  const gauge = (name: string, description: string, unit = '1') =>
    meter.createGauge(name, { description, unit });
  const memory = meter.createObservableGauge(METRIC_NAMES.processMemory, {
    description: 'Resident set size of the process',
    unit: 'By',
  });
  memory.addCallback((r) => {
    const m = process.memoryUsage();
    r.observe(m.rss, { kind: 'rss' });
    r.observe(m.heapUsed, { kind: 'heap' });
    r.observe(m.external + m.arrayBuffers, { kind: 'external' });
  });
  return {
    trainingLoss: gauge(METRIC_NAMES.trainingLoss, 'Training loss of the last optimizer step'),
    evalLoss: gauge(METRIC_NAMES.evalLoss, 'Validation loss of the last evaluation'),
    tokenAccuracy: gauge(
      METRIC_NAMES.tokenAccuracy,
      'Next-token accuracy over trainable tokens of the last step',
    ),
    learningRate: gauge(METRIC_NAMES.learningRate, 'Learning rate of the last optimizer step'),
    tokensPerSecond: gauge(METRIC_NAMES.tokensPerSecond, 'Training throughput', 'token/s'),
    stepTime: meter.createHistogram(METRIC_NAMES.stepTime, {
      description: 'Optimizer step wall time',
      unit: 's',
    }),
    trainingSteps: meter.createCounter(METRIC_NAMES.trainingSteps, { description: 'Optimizer steps done' }),
    recordsIngested: meter.createCounter(METRIC_NAMES.recordsIngested, {
      description: 'Records accepted by ingestion',
    }),
    recordsRejected: meter.createCounter(METRIC_NAMES.recordsRejected, {
      description: 'Records rejected by ingestion',
    }),
    stageDuration: meter.createHistogram(METRIC_NAMES.stageDuration, {
      description: 'Stage handler wall time',
      unit: 's',
    }),
    stageFailures: meter.createCounter(METRIC_NAMES.stageFailures, { description: 'Stage handler failures' }),
    consumerLag: gauge(METRIC_NAMES.consumerLag, 'Kafka consumer-group lag of a stage', '{message}'),
    dlqMessages: meter.createCounter(METRIC_NAMES.dlqMessages, {
      description: 'Messages sent to a dead-letter topic',
    }),
    rpcDuration: meter.createHistogram(METRIC_NAMES.rpcDuration, {
      description: 'gRPC handler latency',
      unit: 's',
    }),
  };
}

export type FtuneInstruments = ReturnType<typeof ftuneInstruments>;

/** Records one training.progress event's figures. */
export function recordTrainingProgress(
  m: FtuneInstruments,
  p: {
    loss: number;
    learningRate: number;
    tokensPerSecond: number;
    evalLoss?: number;
    tokenAccuracy?: number;
    stepSeconds?: number;
  },
  attributes: Attributes,
): void {
  m.trainingLoss.record(p.loss, attributes);
  m.learningRate.record(p.learningRate, attributes);
  m.tokensPerSecond.record(p.tokensPerSecond, attributes);
  m.trainingSteps.add(1, attributes);
  if (p.evalLoss !== undefined) m.evalLoss.record(p.evalLoss, attributes);
  if (p.tokenAccuracy !== undefined) m.tokenAccuracy.record(p.tokenAccuracy, attributes);
  if (p.stepSeconds !== undefined) m.stepTime.record(p.stepSeconds, attributes);
}

/** Records accepted and rejected by an ingest stage (dataset.ingested.v1 counts). */
export function recordIngestCounts(m: FtuneInstruments, event: object): void {
  const counts = (event as { counts?: Record<string, number> }).counts;
  if (!counts) return;
  m.recordsIngested.add(counts.train + counts.validation + counts.test);
  m.recordsRejected.add(counts.rejected);
}

/**
 * The stage metrics of @ftune/pipeline's stage wrapper (its StageMetrics) on these instruments: a
 * stage's wall time, ingest's record counts, failures.
 */
export function stageMetrics(m: FtuneInstruments) {
  return {
    stageDone(stage: string, seconds: number, out: object): void {
      m.stageDuration.record(seconds, { [METRIC_ATTRIBUTES.stage]: stage });
      if (stage === 'ingest') recordIngestCounts(m, out);
    },
    stageFailed(stage: string): void {
      m.stageFailures.add(1, { [METRIC_ATTRIBUTES.stage]: stage });
    },
  };
}
