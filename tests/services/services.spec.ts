// The services end to end: six processes over gRPC and the real Kafka broker. A run submitted with a
// gRPC client goes through every stage (each topic carries its event, WatchRun streams the stages), a
// poison message lands in its dead-letter topic and fails its run, a training job or the train service
// killed mid-training resumes and ends with the same metrics as an uninterrupted run, a LoRA run leaves
// an adapter that evaluation, the audit and Generate open on its base, and calls without the token or
// with paths outside the artifact store are refused.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ALL_TOPICS, dlqTopic, Topics } from '@ftune/contracts';
import type { audit, evaluate, pipeline } from '@ftune/proto';
import type { JobRecord } from '@ftune/train-jobs';
import { grpcClient, unary, type GrpcClient } from '@ftune/transport';
import {
  addSentimentDataset,
  healthCheck,
  remoteRunConfig,
  startCluster,
  watchRun as watch,
  type Cluster,
} from './cluster';

const brokers = inject('kafkaBrokers');

const CONFIG = remoteRunConfig('e2e');
// the same run training LoRA adapters only, with a step large enough that they move the model
const LORA_CONFIG = CONFIG.replace(
  '  saveSteps: 4',
  '  saveSteps: 4\n  learningRate: 0.01\n  lora: { r: 4, alpha: 8, targets: [q_proj, v_proj, c_fc] }',
);
// a run long enough that a cancel sent after its second step lands mid-training on a fast machine too
// (the 12 steps of CONFIG can all finish between two polls of the job's progress)
const LONG_CONFIG = CONFIG.replace('  maxSteps: 12', '  maxSteps: 5000');

interface Tapped {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
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
  const start = (runId: string, config = CONFIG) =>
    unary<pipeline.StartRunResponse>(runs, 'startRun', { config, runId, datasetId: '' });

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

  it('trains a LoRA adapter: evaluation and the audit run on base + adapter, Generate opens it, the report names it', async () => {
    expect(LORA_CONFIG).toContain('lora:');
    await unary<pipeline.StartRunResponse>(runs, 'startRun', { config: LORA_CONFIG, runId: 'e2e-l', datasetId: '' });
    const messages = await watch(runs, 'e2e-l');
    const last = messages[messages.length - 1].run as pipeline.Run;
    expect(last.state, last.failureReason).toBe(3);
    const model = join(cluster.store, 'runs/e2e-l/train/model');
    expect(existsSync(join(model, 'adapter_model.safetensors'))).toBe(true);
    expect(existsSync(join(model, 'model.safetensors'))).toBe(false);
    const adapter = JSON.parse(readFileSync(join(model, 'adapter_config.json'), 'utf8'));
    expect(adapter).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 8 });
    expect(adapter.base_model_name_or_path).toBe(join(cluster.store, 'runs/e2e-l/train/start-model'));
    // tiny: 2 blocks; q, v: 32·4 + 4·32 each, c_fc: 32·4 + 4·128
    const trained = JSON.parse(readFileSync(join(cluster.store, 'runs/e2e-l/train/result.json'), 'utf8'));
    expect(trained.parameters).toMatchObject({ trainable: 2304, adapter: { r: 4, alpha: 8 } });
    expect(trained.parameters.total).toBeGreaterThan(1_000_000);

    // evaluation and the audit opened the adapter folder (no full weights there: the base it names, plus
    // the adapter), and what they measured is not the frozen base's. On this randomly initialised base the
    // adapters barely move the loss (its frozen embeddings bound the logits; docs/commands.md), hence no
    // claim of a drop: 12 steps here changed it by about 0.02.
    const got = await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId: 'e2e-l' });
    expect(got.run?.stages.map((st) => st.state)).toEqual([3, 3, 3, 3, 3]);
    const ev = JSON.parse(readFileSync(join(cluster.store, 'runs/e2e-l/evaluate/eval.json'), 'utf8')) as {
      model: string;
      loss: number;
      baselines: Array<{ kind: string; model?: string; loss?: number }>;
    };
    expect(ev.model).toBe(model);
    const start = ev.baselines.find((b) => b.kind === 'start');
    expect(Math.abs((start?.loss ?? NaN) - ev.loss)).toBeGreaterThan(1e-3);
    type ModelAudit = { counterfactual: { pairs: unknown[] } };
    const au = JSON.parse(readFileSync(join(cluster.store, 'runs/e2e-l/audit/audit.json'), 'utf8')) as {
      model: ModelAudit | null;
      baseline: ModelAudit | null;
    };
    expect(au.model?.counterfactual.pairs.length).toBeGreaterThan(0);
    expect(JSON.stringify(au.model?.counterfactual)).not.toBe(JSON.stringify(au.baseline?.counterfactual));

    // the report, written by the pipeline service once every stage was in, says what was trained
    expect(got.run?.result?.reportPath).toBe('runs/e2e-l/report.html');
    const report = readFileSync(join(cluster.store, 'runs/e2e-l/report.html'), 'utf8');
    expect(report).toMatch(
      /LoRA adapter \(r 4, alpha 8, dropout 0, on q_proj, v_proj, c_fc\): 2,304 trainable of [\d,]+ \(0\.\d\d%\), the base frozen/,
    );

    // Generate takes the adapter folder as its model
    const client = grpcClient('evaluate', cluster.address('evaluate'), cluster.token);
    try {
      const prompts = ['The soup was delicious. Service was quick.\n### Answer:', 'He ordered the pasta.\n### Answer:'];
      const generated = await unary<evaluate.GenerateResponse>(client, 'generate', {
        modelDir: 'runs/e2e-l/train/model',
        tokenizer: '',
        prompts,
        options: { maxNewTokens: 3, doSample: false },
      });
      expect(generated.generations.map((g) => g.prompt)).toEqual(prompts);
      for (const g of generated.generations) expect(g.tokenIds.length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
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
    expect(LONG_CONFIG).toContain('maxSteps: 5000');
    await start('e2e-d', LONG_CONFIG);
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
