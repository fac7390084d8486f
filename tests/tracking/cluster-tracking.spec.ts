// Run tracking through the Kafka cluster: the six services as processes on the real broker
// (tests/services/cluster.ts), started with MLFLOW_TRACKING_URI at the real MLflow server of
// tests/support/mlflow.ts and exporting traces to an OTLP receiver. A run started over gRPC appears in
// MLflow with its params and tags (its trace id that of the spans received), the
// per-step training metrics the train job logged from its own process, the test metrics and audit
// figures, and report.html, eval.json and audit.json, read back through MLflow's REST API. A run whose
// tracking server is down still succeeds, and the pipeline service warns. The broker is started here
// (this configuration's setup starts only MLflow) and stopped if it was not already running.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { pipeline } from '@ftune/proto';
import { MLFLOW_RUN_FILE, MlflowClient, type MlflowRunRef } from '@ftune/tracking';
import { unary, type GrpcClient } from '@ftune/transport';
import { freePort, remoteRunConfig, startRunCluster, watchRun, type Cluster } from '../services/cluster';
import { OtlpReceiver, until } from '../observability/otlp';
import { kafkaScriptJson } from '../support/kafka';

const SUCCEEDED = 3; // pipeline.RunState.RUN_STATE_SUCCEEDED
const STEPS = 12; // remoteRunConfig's maxSteps
const EXPERIMENT = 'ftune-cluster';

/** What `probe` answers once it answers something, polled for up to `timeoutMs`. */
async function poll<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('run tracking through the Kafka cluster', { timeout: 300_000 }, () => {
  const uri = inject('mlflowUri');
  const client = new MlflowClient({ trackingUri: uri });
  const otlp = new OtlpReceiver();
  let brokerStartedHere = false;
  let cluster: Cluster;
  let runs: GrpcClient;

  /** Starts a run over gRPC and follows WatchRun to its end; answers the run as it ended. */
  async function runToEnd(runId: string, config: string): Promise<pipeline.Run> {
    await unary<pipeline.StartRunResponse>(runs, 'startRun', { config, runId, datasetId: '' });
    const messages = await watchRun(runs, runId);
    return messages[messages.length - 1].run as pipeline.Run;
  }

  beforeAll(async () => {
    const broker = kafkaScriptJson('start');
    brokerStartedHere = broker.started === true;
    if (!broker.bootstrap) throw new Error('kafka.js start did not report a bootstrap address');
    await otlp.start();
    ({ cluster, runs } = await startRunCluster(broker.bootstrap, {
      ...otlp.env(),
      MLFLOW_TRACKING_URI: uri,
      MLFLOW_EXPERIMENT_NAME: EXPERIMENT,
    }));
  }, 300_000);

  afterAll(async () => {
    runs?.close();
    await cluster?.stop();
    if (brokerStartedHere) kafkaScriptJson('stop');
    await otlp.stop();
  });

  it('logs a run started over gRPC: params, the train job’s steps, final figures and artifacts', async () => {
    const run = await runToEnd('trk-a', remoteRunConfig('tracked'));
    expect(run.state, run.failureReason).toBe(SUCCEEDED);
    const ref = JSON.parse(
      readFileSync(join(cluster.store, 'runs', 'trk-a', MLFLOW_RUN_FILE), 'utf8'),
    ) as MlflowRunRef;
    expect(ref.trackingUri).toBe(uri);
    expect(await client.experimentIdByName(EXPERIMENT)).toBe(ref.experimentId);

    // the pipeline service ends the MLflow run after run.completed, in the background
    const logged = await poll(
      'the MLflow run FINISHED',
      async () => {
        const r = await client.getRun(ref.runId);
        return r.info.status === 'FINISHED' ? r : undefined;
      },
      60_000,
    );
    expect(logged.info).toMatchObject({ run_name: 'trk-a', status: 'FINISHED' });
    const params = Object.fromEntries((logged.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      'training.maxSteps': String(STEPS),
      'training.batchSize': '8',
      'model.preset': 'tiny',
      'dataset.maxRecords': '200',
    });
    const tags = Object.fromEntries((logged.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['ftune.run_id']).toBe('trk-a');
    expect(tags['ftune.model']).toBe('tiny');
    const traceId = tags['ftune.trace_id'];
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    await until(
      'a span of the run’s trace from the pipeline service',
      () => otlp.spans.find((sp) => sp.traceId === traceId && sp.service.includes('pipeline')),
      30_000,
    );
    expect(tags['ftune.dataset_hash']).toMatch(/^[0-9a-f]{64}$/);
    // set by the train job's own tracker: the backend it computed on
    expect(['tensorflow', 'wasm', 'cpu']).toContain(tags['ftune.backend']);

    // every step, as the train job (a process of its own) logged it: the values of its metrics.jsonl
    const loss = await client.metricHistory(ref.runId, 'train/loss');
    expect(loss.map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    const jsonl = readFileSync(join(cluster.store, 'runs', 'trk-a', 'train', 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { step?: number; loss?: number });
    for (const m of loss) {
      const line = jsonl.find((r) => r.step === m.step && typeof r.loss === 'number');
      expect(line, `metrics.jsonl step ${m.step}`).toBeDefined();
      expect(Math.abs(m.value - (line?.loss as number))).toBeLessThanOrEqual(Math.abs(m.value) * 1e-6);
    }
    expect(await client.metricHistory(ref.runId, 'train/learning_rate')).toHaveLength(STEPS);

    // the final figures at the last step: the test metrics GetRun reports, and the audit gate
    const testLoss = await client.metricHistory(ref.runId, 'test/loss');
    expect(testLoss.map((m) => m.step)).toEqual([STEPS]);
    expect(testLoss[0].value).toBeCloseTo(run.result?.metrics.loss as number, 6);
    const passed = await client.metricHistory(ref.runId, 'audit/passed');
    expect(passed.map((m) => m.step)).toEqual([STEPS]);
    expect([0, 1]).toContain(passed[0].value);

    // report.html: written by the pipeline service once every stage's output is in, after the run ended
    const files = await poll(
      'report.html among the artifacts',
      async () => {
        const paths = (await client.listArtifacts(ref.runId)).map((f) => f.path).sort();
        return paths.includes('report.html') ? paths : undefined;
      },
      30_000,
    );
    expect(files).toEqual(['audit.json', 'eval.json', 'report.html']);
    const warnings = cluster.logs.filter((l) => l.includes('"level":"warn"') && l.includes('MLflow'));
    expect(warnings).toEqual([]);
  });

  it('succeeds with a warning when the run’s tracking server is down', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const config = `${remoteRunConfig('untracked').replace(`maxSteps: ${STEPS}`, 'maxSteps: 4')}
tracking:
  mlflow:
    trackingUri: ${down}
`;
    const run = await runToEnd('trk-down', config);
    expect(run.state, run.failureReason).toBe(SUCCEEDED);
    const warnings = cluster.logs
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: string; service?: string; runId?: string; msg: string })
      .filter((l) => l.level === 'warn' && l.runId === 'trk-down');
    expect(warnings.map((w) => w.msg).join('\n')).toMatch(/MLflow: .*unreachable.*buffering and retrying/);
    expect(warnings.some((w) => w.service === 'pipeline')).toBe(true);
  });
});
