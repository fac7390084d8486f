// One trace per run across the six services: an OTLP/HTTP receiver in the test collects what the six
// service processes and the training job export while a run submitted over gRPC goes through Kafka.
// The trace has one id from StartRun (its root) to the audit stage, every stage span hangs under a
// consumer span whose parent is the producer span of the same topic in the previous service, and the
// stage spans carry the run's figures; the metrics the dashboards query arrive too.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Topics } from '@ftune/contracts';
import { METRIC_NAMES } from '@ftune/telemetry';
import { grpcClient, unary, type GrpcClient } from '@ftune/transport';
import { addSentimentDataset, startCluster, type Cluster } from '../services/cluster';
import { OtlpReceiver, SpanKind, until, type ReceivedSpan } from './otlp';

const brokers = inject('kafkaBrokers');
const RUN = 'traced-1';
const CONFIG = `
name: traced
dataset:
  path: datasets/reviews.jsonl
  maxRecords: 120
model:
  preset: tiny
training:
  maxSteps: 4
  batchSize: 8
  saveSteps: 2
evaluation:
  samples: 2
  bootstrap: 20
`;

/** Each stage: where it runs and the topics it hangs under, nearest hop first. */
const CHAIN: Array<{ stage: string; service: string; topics: string[] }> = [
  { stage: 'ingest', service: 'ftune-ingest', topics: [Topics.runRequested] },
  { stage: 'tokenize', service: 'ftune-tokenize', topics: [Topics.datasetIngested, Topics.runRequested] },
  {
    stage: 'train',
    service: 'ftune-train-job',
    topics: [Topics.datasetTokenized, Topics.datasetIngested, Topics.runRequested],
  },
  {
    stage: 'evaluate',
    service: 'ftune-evaluate',
    topics: [Topics.modelTrained, Topics.datasetTokenized, Topics.datasetIngested, Topics.runRequested],
  },
  {
    stage: 'audit',
    service: 'ftune-audit',
    topics: [
      Topics.modelEvaluated,
      Topics.modelTrained,
      Topics.datasetTokenized,
      Topics.datasetIngested,
      Topics.runRequested,
    ],
  },
];

describe('observability of the six services', { timeout: 420_000 }, () => {
  const otlp = new OtlpReceiver();
  let cluster: Cluster;
  let runs: GrpcClient;
  const stageSpan = (stage: string) =>
    otlp.spans.find((s) => s.name === `stage ${stage}` && s.attributes['ftune.run_id'] === RUN);

  beforeAll(async () => {
    await otlp.start();
    cluster = await startCluster(brokers, { ...otlp.env(), FTUNE_LAG_POLL_MS: '1000' });
    addSentimentDataset(cluster.store);
    runs = grpcClient('pipeline', cluster.address('pipeline'), cluster.token);
  }, 300_000);

  afterAll(async () => {
    runs?.close();
    await cluster?.stop();
    await otlp.stop();
  });

  it('puts every stage of a run, in every service, in the one trace rooted at StartRun', async () => {
    await unary(runs, 'startRun', { config: CONFIG, runId: RUN, datasetId: '' });
    // the audit stage span, and every span above it (each process exports on its own schedule)
    const complete = () => {
      const audit = stageSpan('audit');
      return audit && otlp.ancestry(audit).at(-1)?.parentSpanId === undefined;
    };
    await until('the audit stage span and its ancestry', complete, 300_000);
    expect([...otlp.contentTypes]).toEqual(['application/json']);

    const root = otlp.spans.find((s) => s.kind === SpanKind.server && s.name.endsWith('/StartRun'));
    expect(root, 'the StartRun server span').toBeDefined();
    const rootSpan = root as ReceivedSpan;
    expect(rootSpan.service).toBe('ftune-pipeline');
    expect(rootSpan.parentSpanId).toBeUndefined();
    expect(rootSpan.attributes['ftune.run_id']).toBe(RUN);

    for (const { stage, service, topics } of CHAIN) {
      const span = stageSpan(stage) as ReceivedSpan;
      expect(span, `stage ${stage}`).toBeDefined();
      expect(span.traceId, `stage ${stage} trace`).toBe(rootSpan.traceId);
      expect(span.service).toBe(service);
      expect(span.attributes).toMatchObject({ 'ftune.run_id': RUN, 'ftune.stage': stage });
      expect(span.status.code, `stage ${stage} status`).toBe(1);
      const chain = otlp.ancestry(span);
      expect(chain[chain.length - 1], `stage ${stage} reaches StartRun`).toBe(rootSpan);
      // each Kafka hop: a consumer span whose parent is the producer span of the same topic
      const hops = chain.filter((s) => s.kind === SpanKind.consumer);
      expect(hops.map((s) => s.name.split(' ').pop())).toEqual(topics.map((t) => cluster.prefix + t));
      for (const consumer of hops) {
        const producer = chain[chain.indexOf(consumer) + 1];
        expect(producer.kind).toBe(SpanKind.producer);
        expect(producer.name.split(' ').pop()).toBe(consumer.name.split(' ').pop());
        expect(producer.service).not.toBe(consumer.service);
      }
    }

    const trainJob = otlp.ancestry(stageSpan('train') as ReceivedSpan)[1];
    expect(trainJob.name).toBe(`train-job ${RUN}`);
    expect(trainJob.service).toBe('ftune-train-job');
    expect(otlp.spans.find((s) => s.spanId === trainJob.parentSpanId)?.service).toBe('ftune-train');

    const attrs = (stage: string) => (stageSpan(stage) as ReceivedSpan).attributes;
    expect(attrs('ingest')['ftune.dataset_hash']).toMatch(/^[0-9a-f]{16,}$/);
    expect(Number(attrs('ingest')['ftune.records.train'])).toBeGreaterThan(0);
    expect(attrs('ingest')['ftune.model']).toBe('tiny');
    expect(attrs('ingest').reused).toBe(false);
    expect(Number(attrs('tokenize')['ftune.tokens'])).toBeGreaterThan(0);
    expect(attrs('train')['ftune.training.steps']).toBe(4);
    expect(typeof attrs('train')['ftune.training.final_loss']).toBe('number');
    expect(typeof attrs('audit')['ftune.audit.passed']).toBe('boolean');
    const traced = otlp.spans.filter((s) => s.traceId === rootSpan.traceId);
    console.log(
      `trace ${rootSpan.traceId}: ${traced.length} spans from ${new Set(traced.map((s) => s.service)).size} services`,
    );
  });

  it('exports the metrics the dashboards query', async () => {
    // a poison message: its dead-letter record is counted
    const kafka = new Kafka({
      clientId: 'ftune-otel-poison',
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cluster.prefix + Topics.runRequested,
      messages: [{ key: 'poison-otel', value: '{"runId": "poison-otel", not json' }],
    });
    await producer.disconnect();

    const wanted = [
      METRIC_NAMES.trainingLoss,
      METRIC_NAMES.learningRate,
      METRIC_NAMES.tokensPerSecond,
      METRIC_NAMES.recordsIngested,
      METRIC_NAMES.recordsRejected,
      METRIC_NAMES.stageDuration,
      METRIC_NAMES.consumerLag,
      METRIC_NAMES.dlqMessages,
      METRIC_NAMES.rpcDuration,
      METRIC_NAMES.processMemory,
    ];
    await until('the metrics', () => wanted.every((n) => otlp.metricNames().has(n)), 60_000).catch(
      (e: Error) => {
        throw new Error(
          `${e.message}; missing ${wanted.filter((n) => !otlp.metricNames().has(n)).join(', ')}`,
        );
      },
    );
    const loss = otlp.points.filter((p) => p.metric === METRIC_NAMES.trainingLoss);
    expect(loss.every((p) => p.attributes['ftune.run_id'] === RUN && p.service === 'ftune-train-job')).toBe(
      true,
    );
    expect(loss.some((p) => Number.isFinite(p.value))).toBe(true);
    const stages = otlp.points
      .filter((p) => p.metric === METRIC_NAMES.stageDuration)
      .map((p) => p.attributes['ftune.stage']);
    expect(new Set(stages)).toEqual(new Set(['ingest', 'tokenize', 'train', 'evaluate', 'audit']));
    const lag = otlp.points.filter((p) => p.metric === METRIC_NAMES.consumerLag);
    expect(new Set(lag.map((p) => p.attributes['ftune.stage']))).toContain('ingest');
    const dlq = otlp.points.filter((p) => p.metric === METRIC_NAMES.dlqMessages);
    expect(dlq[0].attributes).toMatchObject({ topic: Topics.runRequested, 'ftune.stage': 'ingest' });
    const rpc = otlp.points.filter((p) => p.metric === METRIC_NAMES.rpcDuration);
    expect(rpc.map((p) => String(p.attributes['rpc.method']))).toContainEqual(
      expect.stringMatching(/RunService\/StartRun$/i),
    );
    console.log(`${otlp.points.length} metric points, ${otlp.metricNames().size} instruments`);
  });
});
