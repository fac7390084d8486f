// The services end to end: six processes over gRPC and the real Kafka broker. A run submitted with a
// gRPC client goes through every stage (each topic carries its event, WatchRun streams the stages), a
// poison message lands in its dead-letter topic and fails its run, a training job or the train service
// killed mid-training resumes and ends with the same metrics as an uninterrupted run, and calls
// without the token or with paths outside the artifact store are refused.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_TOPICS, dlqTopic, Topics } from '@ftune/contracts';
import type { audit, pipeline } from '@ftune/proto';
import type { JobRecord } from '@ftune/train-jobs';
import { grpcClient, unary, type GrpcClient } from '@ftune/transport';
import { addSentimentDataset, healthCheck, remoteRunConfig, startCluster, type Cluster } from './cluster';

const brokers = inject('kafkaBrokers');

const CONFIG = remoteRunConfig('e2e');

interface Tapped {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

function watch(client: GrpcClient, runId: string): Promise<pipeline.WatchRunResponse[]> {
  return new Promise((done, fail) => {
    const messages: pipeline.WatchRunResponse[] = [];
    const stream = (client.watchRun as (r: unknown) => ClientReadableStream<pipeline.WatchRunResponse>).call(
      client,
      { runId },
    );
    stream.on('data', (m: pipeline.WatchRunResponse) => messages.push(m));
    stream.on('error', fail);
    stream.on('end', () => done(messages));
  });
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: ServiceError) => e.code,
  );

describe('the six services over gRPC and Kafka', { timeout: 300_000 }, () => {
  let cluster: Cluster;
  let runs: GrpcClient;
  let tap: Consumer;
  const tapped: Tapped[] = [];
  const eventsOf = (runId: string, topic: string) =>
    tapped
      .filter((m) => m.key === runId && m.topic === cluster.prefix + topic)
      .map((m) => JSON.parse(m.value) as Record<string, unknown>);
  const job = (runId: string) =>
    JSON.parse(readFileSync(join(cluster.store, 'runs', runId, 'train-job.json'), 'utf8')) as JobRecord;
  const start = (runId: string) =>
    unary<pipeline.StartRunResponse>(runs, 'startRun', { config: CONFIG, runId, datasetId: '' });

  beforeAll(async () => {
    cluster = await startCluster(brokers);
    addSentimentDataset(cluster.store);
    runs = grpcClient('pipeline', cluster.address('pipeline'), cluster.token);
    const kafka = new Kafka({ clientId: 'ftune-e2e-tap', brokers: [brokers], logLevel: logLevel.NOTHING });
    tap = kafka.consumer({ groupId: `${cluster.prefix}tap`, maxWaitTimeInMs: 200 });
    await tap.connect();
    await tap.subscribe({
      topics: [...ALL_TOPICS, ...ALL_TOPICS.map(dlqTopic)].map((t) => cluster.prefix + t),
      fromBeginning: true,
    });
    await tap.run({
      eachMessage: async ({ topic, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
        tapped.push({ topic, key: String(message.key), value: String(message.value), headers });
      },
    });
  }, 300_000);

  afterAll(async () => {
    runs?.close();
    await tap?.disconnect();
    await cluster?.stop();
  });

  it('serves grpc.health.v1 on every service, without a token', async () => {
    for (const name of ['pipeline', 'ingest', 'tokenize', 'train', 'evaluate', 'audit'] as const) {
      expect(await healthCheck(cluster.address(name))).toBe('SERVING');
    }
  });

  it('refuses calls without the bearer token or with another one', async () => {
    const anonymous = grpcClient('pipeline', cluster.address('pipeline'), undefined);
    const wrong = grpcClient('tokenize', cluster.address('tokenize'), 'not-the-token');
    try {
      expect(await codeOf(unary(anonymous, 'listRuns', {}))).toBe(16);
      expect(
        await codeOf(unary(anonymous, 'startRun', { config: CONFIG, runId: 'anon', datasetId: '' })),
      ).toBe(16);
      expect(await codeOf(unary(wrong, 'tokenize', { tokenizer: 'gpt2', texts: ['hi'] }))).toBe(16);
      expect(await codeOf(unary(runs, 'listRuns', {}))).toBe(0);
    } finally {
      anonymous.close();
      wrong.close();
    }
  });

  it('refuses paths that leave the artifact store', async () => {
    const bad = (path: string) => CONFIG.replace('datasets/reviews.jsonl', path);
    for (const path of ['../outside.jsonl', 'datasets/../../outside.jsonl', '/etc/passwd']) {
      const e = await unary(runs, 'startRun', { config: bad(path), runId: '', datasetId: '' }).catch(
        (x: ServiceError) => x,
      );
      expect((e as ServiceError).code).toBe(3);
      expect((e as ServiceError).details).toMatch(/dataset\.path/);
    }
    expect(await codeOf(unary(runs, 'startRun', { config: CONFIG, runId: '../x', datasetId: '' }))).toBe(3);
    const ingest = grpcClient('ingest', cluster.address('ingest'), cluster.token);
    const tokenize = grpcClient('tokenize', cluster.address('tokenize'), cluster.token);
    try {
      expect(await codeOf(unary(ingest, 'getDataset', { datasetId: '../x' }))).toBe(3);
      expect(
        await codeOf(unary(ingest, 'validateDataset', { path: '../../etc/passwd', format: 0, maxErrors: 0 })),
      ).toBe(3);
      expect(await codeOf(unary(tokenize, 'tokenize', { tokenizer: '../tok', texts: ['x'] }))).toBe(3);
    } finally {
      ingest.close();
      tokenize.close();
    }
  });

  it('completes a run submitted over gRPC: every topic carries its event and WatchRun streams the stages', async () => {
    const started = await start('e2e-a');
    expect(started.created).toBe(true);
    expect((await start('e2e-a')).created).toBe(false);
    const messages = await watch(runs, 'e2e-a');
    const last = messages[messages.length - 1].run as pipeline.Run;
    expect(last.state, last.failureReason).toBe(3);
    const done = messages.filter((m) => m.stage?.state === 3).map((m) => m.stage?.stage);
    expect(done).toEqual([1, 2, 3, 4, 5]);
    expect(messages.some((m) => m.trainingProgress && m.trainingProgress.totalSteps === 12)).toBe(true);
    expect(last.result?.modelDir).toBe('runs/e2e-a/train/model');
    expect(Object.keys(last.result?.metrics ?? {})).toContain('loss');

    const topics = ALL_TOPICS.filter((t) => t !== Topics.runFailed);
    await until(
      'every event of e2e-a on its topic',
      () => topics.every((t) => eventsOf('e2e-a', t).length > 0),
      20_000,
    );
    expect(eventsOf('e2e-a', Topics.trainingProgress).map((e) => e.step)).toContain(12);
    expect(eventsOf('e2e-a', Topics.runFailed)).toEqual([]);
    const get = await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId: 'e2e-a' });
    expect(get.run?.stages.map((s) => s.state)).toEqual([3, 3, 3, 3, 3]);
  });

  it('refuses a second StartRun of a run id with another config (ALREADY_EXISTS)', async () => {
    const other = CONFIG.replace('maxRecords: 200', 'maxRecords: 199');
    expect(await codeOf(unary(runs, 'startRun', { config: other, runId: 'e2e-a', datasetId: '' }))).toBe(6);
    expect((await start('e2e-a')).created).toBe(false);
  });

  it('audits the dataset and the model of a run on request (BiasAuditService)', async () => {
    const client = grpcClient('audit', cluster.address('audit'), cluster.token);
    try {
      const request = { runId: 'e2e-a', termsPath: '', labelField: '', mitigation: 0, gate: {} };
      const ds = await unary<audit.AuditDatasetResponse>(
        client,
        'auditDataset',
        { ...request, datasetDir: 'runs/e2e-a/ingest' },
        120_000,
      );
      expect(ds.auditPath).toBe('audits/e2e-a/dataset.json');
      expect(ds.groups.length).toBeGreaterThan(0);
      const model = await unary<audit.AuditModelResponse>(
        client,
        'auditModel',
        { runId: 'e2e-a', modelDir: 'runs/e2e-a/train/model', tokenizer: '', pairsPath: '', gate: {} },
        180_000,
      );
      expect(model.auditPath).toBe('audits/e2e-a/model.json');
      expect(model.metrics.length).toBeGreaterThan(0);
      expect(await codeOf(unary(client, 'auditDataset', { ...request, datasetDir: '../e2e-a/ingest' }))).toBe(
        3,
      );
    } finally {
      client.close();
    }
  });

  it('sends a poison message to the dead-letter topic and marks its run failed', async () => {
    const kafka = new Kafka({ clientId: 'ftune-e2e-poison', brokers: [brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: cluster.prefix + Topics.runRequested,
      messages: [
        { key: 'poison-1', value: '{"runId": "poison-1", not json' },
        // valid event, but the run was never started: the ingest stage cannot find its config
        {
          key: 'poison-2',
          value: JSON.stringify({
            runId: 'poison-2',
            eventId: 'x',
            occurredAt: new Date().toISOString(),
            config: {},
          }),
        },
      ],
    });
    await producer.disconnect();
    for (const runId of ['poison-1', 'poison-2']) {
      const dead = await until(`${runId} in the dead-letter topic`, () =>
        tapped.find((m) => m.key === runId && m.topic === cluster.prefix + dlqTopic(Topics.runRequested)),
      );
      expect(dead.headers['ftune-error']).toMatch(/^ingest: /);
      expect(dead.headers['ftune-source-topic']).toBe(Topics.runRequested);
      const failed = await until(`run.failed for ${runId}`, () => eventsOf(runId, Topics.runFailed)[0]);
      expect(failed.stage).toBe('ingest');
      const run = await until(`${runId} failed in the run records`, async () => {
        const r = await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId }).catch(() => undefined);
        return r?.run?.state === 4 ? r.run : undefined;
      });
      expect(run.failureReason).toMatch(/^ingest: /);
    }
    // the stage consumer moved on: the poison messages were delivered once each, never looped
    expect(tapped.filter((m) => m.topic === cluster.prefix + dlqTopic(Topics.runRequested))).toHaveLength(2);
  });

  it('resumes a training job killed mid-run and ends with the metrics of an uninterrupted run', async () => {
    await start('e2e-b');
    const victim = await until('e2e-b past its first checkpoint', () => {
      try {
        const j = job('e2e-b');
        return (j.progress?.step ?? 0) >= 5 && j.pid && j.attempt === 1 ? j.pid : undefined;
      } catch {
        return undefined;
      }
    });
    process.kill(victim, 'SIGKILL');
    const messages = await watch(runs, 'e2e-b');
    const last = messages[messages.length - 1].run as pipeline.Run;
    expect(last.state, last.failureReason).toBe(3);
    expect(job('e2e-b').attempt).toBe(2);
    expect(eventsOf('e2e-b', Topics.modelTrained)[0].finalLoss).toBe(
      eventsOf('e2e-a', Topics.modelTrained)[0].finalLoss,
    );
    expect(last.result?.metrics).toEqual(
      (await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId: 'e2e-a' })).run?.result?.metrics,
    );
  });

  it('finishes a run whose train service was killed mid-training and started again, with the same metrics', async () => {
    await start('e2e-c');
    await until('e2e-c training', () => {
      try {
        return (job('e2e-c').progress?.step ?? 0) >= 3 || undefined;
      } catch {
        return undefined;
      }
    });
    await cluster.kill('train', 'SIGKILL');
    await cluster.start('train');
    const messages = await watch(runs, 'e2e-c');
    const last = messages[messages.length - 1].run as pipeline.Run;
    expect(last.state, last.failureReason).toBe(3);
    expect(last.result?.metrics).toEqual(
      (await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId: 'e2e-a' })).run?.result?.metrics,
    );
  });

  it('cancels a run mid-training: the job stops and no later stage runs', async () => {
    await start('e2e-d');
    await until('e2e-d training', () => {
      try {
        return (job('e2e-d').progress?.step ?? 0) >= 2 || undefined;
      } catch {
        return undefined;
      }
    });
    const cancelled = await unary<pipeline.CancelRunResponse>(runs, 'cancelRun', {
      runId: 'e2e-d',
      reason: 'no longer needed',
    });
    expect(cancelled.run).toMatchObject({ state: 5, failureReason: 'no longer needed' });
    const j = await until(
      'the e2e-d job to stop',
      () => (job('e2e-d').state === 'cancelled' ? job('e2e-d') : undefined),
      60_000,
    );
    expect(j.error).toBe('no longer needed');
    const train = grpcClient('train', cluster.address('train'), cluster.token);
    try {
      const got = await unary<{ job: { state: number; attempt: number } }>(train, 'getJob', {
        jobId: 'train-e2e-d',
      });
      expect(got.job).toMatchObject({ state: 5, attempt: 1 });
    } finally {
      train.close();
    }
    await new Promise((r) => setTimeout(r, 3000));
    expect(eventsOf('e2e-d', Topics.modelTrained)).toEqual([]);
    expect((await watch(runs, 'e2e-d')).map((m) => m.run?.state)).toEqual([5]);
  });
});
