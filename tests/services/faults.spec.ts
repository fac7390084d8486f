// Faults the six services survive, as real processes on the real broker (docs/reliability.md):
// - the broker's JVM paused (SIGSTOP) for 70 s right after StartRun: while it is paused every service's
//   health check turns NOT_SERVING (its consumer has lost the broker), and once it runs again the
//   services recover (a crashed consumer started anew, or the process restarted by its supervisor,
//   which the test plays, after the consumer gave up) and the run succeeds;
// - the evaluate service SIGTERMed while it evaluates a run (and the pipeline service with a WatchRun
//   stream open): each exits 0 within its grace period, evaluate aborting the stage and leaving the
//   message uncommitted, the stream ending with UNAVAILABLE; the services started again finish the run,
//   and `ftune run --remote`, which submitted it, follows it through the restart to its end.
// Each ends with the run succeeded, nothing left pending and every service SERVING.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientReadableStream, ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { pipeline } from '@ftune/proto';
import { grpcClient, SERVICE_NAMES, unary, type GrpcClient, type ServiceName } from '@ftune/transport';
import { ftune } from '../support/ftune';
import { kafkaScriptJson } from '../support/kafka';
import { addSentimentDataset, healthCheck, remoteRunConfig, startCluster, type Cluster } from './cluster';

const brokers = inject('kafkaBrokers');

const CONFIG = remoteRunConfig('faults', { samples: 8, bootstrap: 200 });
const SUCCEEDED = 3; // pipeline.RunState.RUN_STATE_SUCCEEDED
const GRACE_MS = 20_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** Every delivery count file left in the store (a message taken and neither handled nor dead-lettered). */
function pendingDeliveries(store: string): string[] {
  const root = join(store, '_deliveries');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
}

/**
 * Plays the supervisor (the kubelet) for the services: one whose process exited by itself (a service
 * gives up on a consumer kafkajs cannot recover) is started again. Returns the stop function.
 */
function supervise(cluster: Cluster, restarted: ServiceName[]): () => Promise<void> {
  let pending: Promise<unknown> = Promise.resolve();
  const starting = new Set<ServiceName>();
  const timer = setInterval(() => {
    for (const name of SERVICE_NAMES) {
      if (starting.has(name) || cluster.child(name).exitCode === null) continue;
      starting.add(name);
      restarted.push(name);
      pending = pending
        .then(() => cluster.start(name))
        .then(
          () => starting.delete(name),
          () => starting.delete(name),
        );
    }
  }, 1000);
  return async () => {
    clearInterval(timer);
    await pending;
  };
}

/** Opens WatchRun and resolves with the status code it ends with (0 when it completes). */
function watchEnd(client: GrpcClient, runId: string): Promise<number> {
  return new Promise((done) => {
    const stream = (client.watchRun as (r: unknown) => ClientReadableStream<unknown>).call(client, { runId });
    stream.on('data', () => undefined);
    stream.on('error', (e: ServiceError) => done(e.code));
    stream.on('end', () => done(0));
  });
}

describe('the services under faults: a paused broker, a SIGTERM mid-stage', { timeout: 600_000 }, () => {
  let cluster: Cluster;
  let runs: GrpcClient;

  const getRun = async (runId: string) =>
    (await unary<pipeline.GetRunResponse>(runs, 'getRun', { runId })).run as pipeline.Run;

  /** The run succeeded, no stage is left undone, no message is left half-handled, every service SERVING. */
  async function expectSettled(runId: string): Promise<void> {
    const run = await until(
      `${runId} to finish`,
      async () => {
        const r = await getRun(runId).catch(() => undefined);
        return r && r.state >= SUCCEEDED ? r : undefined;
      },
      300_000,
    );
    expect(run.state, run.failureReason).toBe(SUCCEEDED);
    // the read model folds each topic on its own: the last stage events may land after run.completed
    const stages = await until(
      `${runId}'s stages to read succeeded`,
      async () => {
        const states = (await getRun(runId)).stages.map((s) => s.state);
        return states.every((x) => x === 3) ? states : undefined;
      },
      60_000,
    ).catch(async () => (await getRun(runId)).stages.map((s) => s.state));
    expect(stages).toEqual([3, 3, 3, 3, 3]);
    await until(
      'every service SERVING',
      async () => {
        const all = await Promise.all(
          SERVICE_NAMES.map((n) => healthCheck(cluster.address(n)).catch(() => 'DOWN')),
        );
        return all.every((s) => s === 'SERVING') ? true : undefined;
      },
      120_000,
    );
    // a duplicate of a stage's input (re-emitted by a lease or an outbox after a restart) may still be in
    // hand after the run completed; it must be handled and forgotten, not left behind
    await until(
      'the delivery ledger to drain',
      () => (pendingDeliveries(cluster.store).length === 0 ? true : undefined),
      60_000,
    ).catch(() => undefined);
    expect(pendingDeliveries(cluster.store)).toEqual([]);
  }

  beforeAll(async () => {
    cluster = await startCluster(brokers, { FTUNE_SHUTDOWN_GRACE_MS: String(GRACE_MS) });
    addSentimentDataset(cluster.store);
    runs = grpcClient('pipeline', cluster.address('pipeline'), cluster.token);
  }, 300_000);

  afterAll(async () => {
    runs?.close();
    await cluster?.stop();
  });

  it('a run survives the broker paused for 70 s right after StartRun', async () => {
    const pid = kafkaScriptJson('status').pid;
    if (!pid) throw new Error('the broker is not running');
    const started = await unary<pipeline.StartRunResponse>(runs, 'startRun', {
      config: CONFIG,
      runId: 'paused-broker',
      datasetId: '',
    });
    expect(started.created).toBe(true);
    const notServing = new Set<ServiceName>();
    const restarted: ServiceName[] = [];
    const stopSupervising = supervise(cluster, restarted);
    process.kill(pid, 'SIGSTOP');
    try {
      const end = Date.now() + 70_000;
      while (Date.now() < end) {
        await Promise.all(
          SERVICE_NAMES.map(async (n) => {
            if ((await healthCheck(cluster.address(n), 1500).catch(() => 'DOWN')) === 'NOT_SERVING')
              notServing.add(n);
          }),
        );
        await sleep(2000);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // a consumer that has not heard from the broker for its session timeout is not SERVING
    expect([...notServing].sort()).toEqual([...SERVICE_NAMES].sort());
    try {
      await expectSettled('paused-broker');
    } finally {
      await stopSupervising();
    }
    if (restarted.length > 0) console.info(`restarted by their supervisor: ${restarted.join(', ')}`);
  });

  it('a run survives the evaluate service SIGTERMed mid-stage and started again', async () => {
    const runId = 'evaluate-term';
    const mark = cluster.logs.length;
    // submitted and followed by `ftune run --remote`, which must follow it through the pipeline's restart
    const file = join(cluster.store, `${runId}.yaml`);
    writeFileSync(file, CONFIG);
    const following = ftune(
      ['run', file, '--remote', cluster.address('pipeline'), '--run-id', runId],
      cluster.env,
    );
    const evaluating = (line: string) =>
      line.includes('"service":"evaluate"') &&
      line.includes(`"runId":"${runId}"`) &&
      line.includes('"msg":"stage started"');
    await until(
      'the evaluate stage to start',
      () => (cluster.logs.slice(mark).some(evaluating) ? true : undefined),
      300_000,
    );

    // a client watching the run: the pipeline service is stopped at the same time
    const watching = watchEnd(runs, runId);
    const [evaluate, pipelineService] = [cluster.child('evaluate'), cluster.child('pipeline')];
    const sent = Date.now();
    const exits = [evaluate, pipelineService].map(
      (child) =>
        new Promise<[number | null, number]>((done) =>
          child.once('exit', (code) => done([code, Date.now() - sent])),
        ),
    );
    evaluate.kill('SIGTERM');
    pipelineService.kill('SIGTERM');
    for (const [code, tookMs] of await Promise.all(exits)) {
      expect(code).toBe(0);
      expect(tookMs).toBeLessThan(GRACE_MS);
    }
    expect(await watching).toBe(14); // UNAVAILABLE: the stream was ended, the client may watch again
    // whether the stage stopped at its next progress report or finished first, its message was left
    // uncommitted: the evaluate service started again takes it (and re-emits a finished stage's output)

    await Promise.all([cluster.start('evaluate'), cluster.start('pipeline')]);
    runs.close();
    runs = grpcClient('pipeline', cluster.address('pipeline'), cluster.token);
    await expectSettled(runId);
    const cli = await following;
    expect(cli.code, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toContain('the pipeline service is unavailable; following evaluate-term again');
    expect(cli.stdout).toContain(`run ${runId}: succeeded`);
  });
});
