// Hostile requests against the six services as real processes: every RPC is called with input meant
// to break it — paths out of the artifact store (by text and through a symbolic link inside it), YAML
// alias bombs, oversized counts and fields, sizes that multiply (padding × examples, tokens × prompts),
// patterns a backtracking engine cannot finish, an upload header that names a folder outside the store.
// Each call must be refused with a status code (and the field named where the caller can fix it), and
// every service must still answer SERVING afterwards; Generate at its largest runs off the event loop,
// so health checks keep answering while it works.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ClientReadableStream, ClientWritableStream, ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { initBackend } from '@ftune/compute';
import { ingestFile } from '@ftune/dataset';
import { createModel, saveModel } from '@ftune/model-gpt-neo';
import { grpcClient, SERVICE_NAMES, unary, type GrpcClient, type ServiceName } from '@ftune/transport';
import { healthCheck, startCluster, type Cluster } from './cluster';

const brokers = inject('kafkaBrokers');

const OK_CONFIG = `
dataset:
  path: datasets/reviews.jsonl
model:
  preset: tiny
`;
/** Ten levels of ten aliases: 10^10 strings once expanded. */
const YAML_BOMB = [
  'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${Array(10).fill(`*a${i}`).join(',')}]`),
].join('\n');
const SECRET = 'do-not-echo-7f3a';

interface Refusal {
  code: number;
  details: string;
}

/** The status of a call that must fail (a call that succeeds fails the test). */
async function refusal(p: Promise<unknown>): Promise<Refusal> {
  return p.then(
    () => ({ code: 0, details: 'the call succeeded' }),
    (e: ServiceError) => ({ code: e.code, details: e.details }),
  );
}

function streamRefusal(stream: ClientReadableStream<unknown>): Promise<Refusal> {
  return new Promise((done) => {
    stream.on('data', () => undefined);
    stream.on('error', (e: ServiceError) => done({ code: e.code, details: e.details }));
    stream.on('end', () => done({ code: 0, details: 'the stream ended without an error' }));
  });
}

/** UploadDataset as a client stream: the given messages, then the end of the stream. */
function upload(client: GrpcClient, messages: unknown[]): Promise<Refusal> {
  return new Promise((done) => {
    const call = (
      client.uploadDataset as (cb: (e: ServiceError | null) => void) => ClientWritableStream<unknown>
    ).call(client, (e: ServiceError | null) =>
      done(e ? { code: e.code, details: e.details } : { code: 0, details: 'the upload succeeded' }),
    );
    call.on('error', () => undefined);
    for (const m of messages) call.write(m);
    call.end();
  });
}

const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;
const NOT_FOUND = 5;
const RESOURCE_EXHAUSTED = 8;

describe('hostile requests to every RPC', { timeout: 300_000 }, () => {
  let cluster: Cluster;
  const clients = {} as Record<ServiceName, GrpcClient>;
  const call = (service: ServiceName, method: string, request: unknown, deadlineMs = 60_000) =>
    refusal(unary(clients[service], method, request, deadlineMs));

  async function expectAllServing(): Promise<void> {
    for (const name of SERVICE_NAMES) expect(await healthCheck(cluster.address(name)), name).toBe('SERVING');
  }

  beforeAll(async () => {
    cluster = await startCluster(brokers);
    const store = cluster.store;
    mkdirSync(join(store, 'datasets'));
    copyFileSync(
      resolve(__dirname, '../../examples/sentiment/reviews.jsonl'),
      join(store, 'datasets/reviews.jsonl'),
    );
    // links inside the store that lead out of it: a folder and a file
    const outside = join(tmpdir(), `ftune-outside-${process.pid}`);
    mkdirSync(join(outside, 'model'), { recursive: true });
    writeFileSync(join(outside, 'secret.jsonl'), `{"prompt": "${SECRET}", "completion": "x"}\n`);
    symlinkSync(outside, join(store, 'datasets/outside'));
    symlinkSync(join(outside, 'secret.jsonl'), join(store, 'datasets/secret.jsonl'));
    writeFileSync(join(store, 'datasets/bomb.yaml'), YAML_BOMB);
    // a small ingested-style dataset for a legitimate Evaluate
    const reviews = readFileSync(join(store, 'datasets/reviews.jsonl'), 'utf8').split('\n');
    writeFileSync(join(store, 'datasets/small.jsonl'), reviews.slice(0, 100).join('\n') + '\n');
    await ingestFile(join(store, 'datasets/small.jsonl'), { out: join(store, 'datasets/small') });
    // a tiny model for Generate
    await initBackend();
    const model = createModel('tiny', 1);
    saveModel(model, join(store, 'models/tiny'));
    model.dispose();
    for (const name of SERVICE_NAMES) clients[name] = grpcClient(name, cluster.address(name), cluster.token);
  }, 300_000);

  afterAll(async () => {
    for (const c of Object.values(clients)) c.close();
    await cluster?.stop();
  });

  it('pipeline: StartRun, GetRun, ListRuns, WatchRun and CancelRun refuse hostile input', async () => {
    const start = (config: string, runId = '') =>
      call('pipeline', 'startRun', { config, runId, datasetId: '' });
    expect(await start(YAML_BOMB)).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/not valid YAML/),
    });
    expect(await start('x'.repeat(300_000))).toMatchObject({ code: INVALID_ARGUMENT });
    const through = await start(OK_CONFIG.replace('datasets/reviews.jsonl', 'datasets/outside/secret.jsonl'));
    expect(through).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/dataset\.path: .*leads out/),
    });
    const filter = `${OK_CONFIG}audit:\n  outputFilter:\n    - pattern: '(a)\\1'\n      action: block\n`;
    expect(await start(filter)).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/audit\.outputFilter\[0\]\.pattern/),
    });
    expect(await start(OK_CONFIG, '../x')).toMatchObject({ code: INVALID_ARGUMENT });
    expect(await start(OK_CONFIG, 'x'.repeat(10_000))).toMatchObject({ code: INVALID_ARGUMENT });
    expect(await call('pipeline', 'getRun', { runId: '../../etc' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await call('pipeline', 'cancelRun', { runId: '../x', reason: '' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    const watch = (clients.pipeline.watchRun as (r: unknown) => ClientReadableStream<unknown>).call(
      clients.pipeline,
      {
        runId: '../x',
      },
    );
    expect(await streamRefusal(watch)).toMatchObject({ code: INVALID_ARGUMENT });
    expect(
      await call('pipeline', 'listRuns', { pageSize: 4_000_000_000, pageToken: '../../x' }),
    ).toMatchObject({
      code: expect.any(Number),
    });
    await expectAllServing();
  });

  it('ingest: an upload header naming a folder outside the store, chunks before the header, and huge sizes', async () => {
    const header = (h: Record<string, unknown>) => ({
      header: { format: 0, seed: 0, labelField: '', sizeBytes: 0, sha256: '', ...h },
    });
    expect(
      await upload(clients.ingest, [header({ name: '../x' }), { chunk: Buffer.from('{}\n') }]),
    ).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/header\.name/),
    });
    expect(await upload(clients.ingest, [{ chunk: Buffer.from('{}\n') }])).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await upload(clients.ingest, [header({ name: 'big', sizeBytes: 1e15 })])).toMatchObject({
      code: RESOURCE_EXHAUSTED,
    });
    expect(
      await upload(clients.ingest, [header({ name: 'twice' }), header({ name: 'twice' })]),
    ).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await call('ingest', 'getDataset', { datasetId: '../../etc' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    await expectAllServing();
  });

  it('ingest: an upload the client cancels midway leaves no partial upload behind', async () => {
    const datasets = join(cluster.store, 'datasets');
    const partial = () => readdirSync(datasets).filter((n) => n.startsWith('abandoned-'));
    const call = (
      clients.ingest.uploadDataset as (cb: (e: ServiceError | null) => void) => ClientWritableStream<unknown>
    ).call(clients.ingest, () => undefined);
    call.on('error', () => undefined);
    call.write({ header: { name: 'abandoned', format: 0, seed: 0, labelField: '', sizeBytes: 0, sha256: '' } });
    call.write({ chunk: Buffer.from('{"prompt":"p","completion":"c"}\n'.repeat(2048)) });
    const began = Date.now();
    while (partial().length === 0 && Date.now() - began < 20_000) await new Promise((r) => setTimeout(r, 100));
    expect(partial()).toHaveLength(1); // the upload was under way
    call.cancel();
    const cancelledAt = Date.now();
    while (partial().length > 0 && Date.now() - cancelledAt < 20_000) await new Promise((r) => setTimeout(r, 100));
    expect(partial()).toEqual([]);
    await expectAllServing();
  });

  it('ingest: ValidateDataset refuses links out of the store and quotes no file content, with capped errors', async () => {
    const validate = (r: Record<string, unknown>) =>
      call('ingest', 'validateDataset', { format: 0, maxErrors: 0, ...r });
    expect(await validate({ path: 'datasets/secret.jsonl' })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/leads out of the artifact store/),
    });
    expect(await validate({ path: 'datasets/outside/secret.jsonl' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await validate({ path: 'datasets/missing.jsonl' })).toMatchObject({ code: NOT_FOUND });
    expect(await validate({ path: 'datasets' })).toMatchObject({ code: INVALID_ARGUMENT });
    // 3,000 broken records, each carrying the secret: no error quotes it, and at most 1,000 are listed
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 2 ? `{"prompt": "${SECRET}", not json` : `{"messages": [{"role": "${SECRET}", "content": "x"}]}`,
    );
    const r = await unary<{ errors: Array<{ line: number; message: string }>; invalidRecords: number }>(
      clients.ingest,
      'validateDataset',
      { content: Buffer.from(lines.join('\n') + '\n'), format: 0, maxErrors: 1_000_000 },
    );
    expect(r.invalidRecords).toBe(3000);
    expect(r.errors).toHaveLength(1000);
    expect(JSON.stringify(r.errors)).not.toContain(SECRET);
    expect(r.errors[0]).toEqual({ line: 1, message: expect.stringMatching(/role other than/) });
    expect(r.errors[1]).toEqual({ line: 2, message: 'not JSON' });
    await expectAllServing();
  });

  it('tokenize: paths out of the store, oversized counts, and padding that multiplies with the examples', async () => {
    expect(await call('tokenize', 'tokenize', { tokenizer: '../tok', texts: ['x'] })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(
      await call('tokenize', 'tokenize', { tokenizer: 'datasets/outside/model', texts: ['x'] }),
    ).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(
      await call('tokenize', 'tokenize', { tokenizer: 'gpt2', texts: Array(10_001).fill('x') }),
    ).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(
      await call('tokenize', 'detokenize', {
        tokenizer: 'gpt2',
        sequences: Array(10_001).fill({ ids: [1] }),
      }),
    ).toMatchObject({ code: INVALID_ARGUMENT });
    const examples = (n: number) => Array.from({ length: n }, (_, i) => ({ text: `example ${i}` }));
    const collate = (n: number, options: Record<string, unknown>) =>
      call('tokenize', 'collate', {
        tokenizer: 'gpt2',
        examples: examples(n),
        options: { mode: 1, ...options },
      });
    expect(await collate(5000, { padToMultipleOf: 100_000 })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/options\.pad_to_multiple_of/),
    });
    // allowed sizes that still multiply past what one batch may hold
    expect(await collate(5000, { padToMultipleOf: 1024 })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/cells/),
    });
    expect(await collate(10, { maxLength: 1_000_000 })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/options\.max_length/),
    });
    await expectAllServing();
  });

  it('train: StartTraining, GetJob, WatchJob and CancelJob refuse hostile input', async () => {
    const start = (config: string, r: Record<string, unknown> = {}) =>
      call('train', 'startTraining', {
        config,
        runId: 'hostile-t',
        datasetDir: 'datasets',
        tokenizedDir: 'datasets',
        ...r,
      });
    expect(await start(YAML_BOMB)).toMatchObject({ code: INVALID_ARGUMENT });
    expect(await start(OK_CONFIG, { datasetDir: 'datasets/outside' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await start(OK_CONFIG, { runId: '../x' })).toMatchObject({ code: INVALID_ARGUMENT });
    expect(await call('train', 'getJob', { jobId: 'train-../../x' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(await call('train', 'cancelJob', { jobId: '../x', reason: '' })).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    const watch = (clients.train.watchJob as (r: unknown) => ClientReadableStream<unknown>).call(
      clients.train,
      {
        jobId: '../x',
      },
    );
    expect(await streamRefusal(watch)).toMatchObject({ code: INVALID_ARGUMENT });
    await expectAllServing();
  });

  it('evaluate: paths out of the store and generation sizes that multiply are refused', async () => {
    expect(
      await call('evaluate', 'evaluate', {
        runId: 'h',
        modelDir: 'datasets/outside/model',
        datasetDir: 'datasets',
        baselineModelDirs: [],
      }),
    ).toMatchObject({ code: INVALID_ARGUMENT });
    const generate = (prompts: string[], options: Record<string, unknown>, modelDir = 'models/tiny') =>
      call('evaluate', 'generate', { modelDir, tokenizer: 'gpt2', prompts, options });
    expect(await generate(['hi'], {}, 'datasets/outside/model')).toMatchObject({ code: INVALID_ARGUMENT });
    expect(await generate(Array(65).fill('hi'), {})).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/prompts/),
    });
    expect(await generate(['hi'], { maxNewTokens: 100_000 })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/options\.max_new_tokens/),
    });
    expect(await generate(Array(64).fill('hi'), { maxNewTokens: 100 })).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/max_new_tokens × prompts/),
    });
    expect(await generate(['x'.repeat(20_000)], {})).toMatchObject({
      code: INVALID_ARGUMENT,
      details: expect.stringMatching(/prompts\[0\]/),
    });
    await expectAllServing();
  });

  it('evaluate: the largest Generate runs off the event loop: health answers meanwhile, and its deadline ends it', async () => {
    const generation = call(
      'evaluate',
      'generate',
      {
        modelDir: 'models/tiny',
        tokenizer: 'gpt2',
        prompts: Array(64).fill('The food was'),
        options: { maxNewTokens: 64 },
      },
      4000,
    );
    const answered: number[] = [];
    const started = Date.now();
    while (Date.now() - started < 3500) {
      const t0 = Date.now();
      expect(await healthCheck(cluster.address('evaluate'), 1000)).toBe('SERVING');
      answered.push(Date.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(answered.length).toBeGreaterThan(5);
    expect([0, DEADLINE_EXCEEDED]).toContain((await generation).code);
    // a small call after the deadline still works
    const small = await unary<{ generations: unknown[] }>(clients.evaluate, 'generate', {
      modelDir: 'models/tiny',
      tokenizer: 'gpt2',
      prompts: ['The food was'],
      options: { maxNewTokens: 4 },
    });
    expect(small.generations).toHaveLength(1);
    await expectAllServing();
  });

  it('evaluate: a legitimate Evaluate completes through its worker thread', async () => {
    const r = await unary<{ evalPath: string; metrics: Array<{ name: string; value: number }> }>(
      clients.evaluate,
      'evaluate',
      { runId: 'h-eval', modelDir: 'models/tiny', datasetDir: 'datasets/small', baselineModelDirs: [] },
      240_000,
    );
    expect(r.evalPath).toBe('evaluations/h-eval/eval.json');
    expect(r.metrics.map((m) => m.name)).toContain('loss');
    await expectAllServing();
  });

  it('audit: links out of the store, a YAML bomb as term lists, and a hostile run id', async () => {
    const request = { runId: 'h', termsPath: '', labelField: '', mitigation: 0, gate: {} };
    expect(await call('audit', 'auditDataset', { ...request, datasetDir: 'datasets/outside' })).toMatchObject(
      {
        code: INVALID_ARGUMENT,
      },
    );
    expect(
      await call('audit', 'auditDataset', {
        ...request,
        datasetDir: 'datasets',
        termsPath: 'datasets/bomb.yaml',
      }),
    ).toMatchObject({ code: INVALID_ARGUMENT });
    expect(
      await call('audit', 'auditDataset', { ...request, runId: '../x', datasetDir: 'datasets' }),
    ).toMatchObject({
      code: INVALID_ARGUMENT,
    });
    expect(
      await call('audit', 'auditModel', {
        runId: '../x',
        modelDir: 'models/tiny',
        tokenizer: '',
        pairsPath: '',
        gate: {},
      }),
    ).toMatchObject({ code: INVALID_ARGUMENT });
    await expectAllServing();
  });
});
