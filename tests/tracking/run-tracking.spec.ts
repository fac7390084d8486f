// `ftune run` with MLFLOW_TRACKING_URI set, as a real process against the real MLflow server of
// tests/support/mlflow.ts: the run appears with its params, per-step metric history, final figures,
// tags and artifacts, read back through MLflow's REST API; its TensorBoard files hold the same
// scalars, read by TensorBoard's own reader. With the server down, the run succeeds with a warning.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { MLFLOW_RUN_FILE, MlflowClient, TENSORBOARD_DIR, type MlflowRunRef } from '@ftune/tracking';
import { ftune, writeTinyRunConfig } from '../support/ftune';
import { freePort } from '../support/mlflow';
import { readTensorBoard } from './tensorboard-reader';

const STEPS = 6;
const tmp = mkdtempSync(join(tmpdir(), 'ftune-run-tracking-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const runConfig = (runId: string, o: { steps: number; audit: boolean }) =>
  writeTinyRunConfig(tmp, {
    name: 'tracked',
    runId,
    training: { maxSteps: o.steps, evalSteps: 3, learningRate: 0.002 },
    evaluation: { samples: 0, bootstrap: 0 },
    audit: { enabled: o.audit },
  });

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('MLFLOW_') || k.startsWith('OTEL_')) delete env[k];
  return env;
};

describe('ftune run with MLflow tracking', { timeout: 300_000 }, () => {
  it('logs one MLflow run with params, per-step metrics, final figures, tags and artifacts, and the same scalars to TensorBoard', async () => {
    const uri = inject('mlflowUri');
    const r = await ftune(['run', runConfig('tracked-1', { steps: STEPS, audit: true })], {
      ...baseEnv(),
      MLFLOW_TRACKING_URI: uri,
      MLFLOW_EXPERIMENT_NAME: 'ftune-e2e',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/MLflow/); // no warning: every value was delivered
    const runDir = join(tmp, 'runs', 'tracked-1');
    const ref = JSON.parse(readFileSync(join(runDir, MLFLOW_RUN_FILE), 'utf8')) as MlflowRunRef;
    expect(r.stdout).toContain(`mlflow run: ${uri}/#/experiments/${ref.experimentId}/runs/${ref.runId}`);
    const record = JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      results: { steps: number; evaluation: Record<string, number> };
      tracking: { mlflow: { runId: string } };
    };
    expect(record.tracking.mlflow.runId).toBe(ref.runId);

    const client = new MlflowClient({ trackingUri: uri });
    expect(await client.experimentIdByName('ftune-e2e')).toBe(ref.experimentId);
    const run = await client.getRun(ref.runId);
    expect(run.info).toMatchObject({ run_name: 'tracked-1', status: 'FINISHED' });
    const params = Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      'training.maxSteps': String(STEPS),
      'training.learningRate': '0.002',
      'training.batchSize': '8',
      'collator.maxLength': '48',
      'model.preset': 'tiny',
      'dataset.maxRecords': '120',
    });
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags['ftune.run_id']).toBe('tracked-1');
    expect(tags['ftune.model']).toBe('tiny');
    expect(tags['ftune.dataset_hash']).toMatch(/^[0-9a-f]{64}$/);
    expect(tags['ftune.backend']).toBeTruthy();

    const loss = await client.metricHistory(ref.runId, 'train/loss');
    expect(loss.map((m) => m.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    for (const m of loss) expect(Number.isFinite(m.value) && m.value > 0).toBe(true);
    const lr = await client.metricHistory(ref.runId, 'train/learning_rate');
    expect(lr).toHaveLength(STEPS);
    expect(lr[STEPS - 1].value).toBeLessThan(lr[0].value); // the linear schedule decays
    expect((await client.metricHistory(ref.runId, 'eval/loss')).map((m) => m.step)).toEqual([3, 6]);
    const testLoss = await client.metricHistory(ref.runId, 'test/loss');
    expect(testLoss).toHaveLength(1);
    expect(testLoss[0].step).toBe(STEPS);
    expect(testLoss[0].value).toBeCloseTo(record.results.evaluation.loss, 10);
    const gate = await client.metricHistory(ref.runId, 'audit/passed');
    expect([0, 1]).toContain(gate[0]?.value);

    const files = (await client.listArtifacts(ref.runId)).map((f) => f.path).sort();
    expect(files).toEqual(['audit.json', 'eval.json', 'report.html']);

    // TensorBoard: the same train/eval/test scalars, read by TensorBoard itself
    const tb = readTensorBoard(join(runDir, TENSORBOARD_DIR));
    expect(tb.scalars['train/loss'].map(([step]) => step)).toEqual(loss.map((m) => m.step));
    tb.scalars['train/loss'].forEach(([, v], i) =>
      expect(Math.abs((v as number) - loss[i].value)).toBeLessThan(loss[i].value * 1e-6),
    );
    expect(tb.scalars['eval/loss'].map(([step]) => step)).toEqual([3, 6]);
    expect(tb.scalars['test/loss'][0][0]).toBe(STEPS);
  });

  it('succeeds with a warning when the tracking server is down', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    const r = await ftune(
      ['run', runConfig('tracked-down', { steps: 2, audit: false }), '--mlflow-uri', down],
      baseEnv(),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('[5/5] audit: done');
    expect(r.stderr).toMatch(/MLflow: .*unreachable.*buffering and retrying/);
    expect(r.stderr).toMatch(/MLflow: not delivered to http:\/\/127\.0\.0\.1:\d+: the run itself/);
    const record = JSON.parse(readFileSync(join(tmp, 'runs', 'tracked-down', 'run.json'), 'utf8')) as {
      status: string;
      tracking: { mlflow?: unknown; tensorboard?: string };
    };
    expect(record.status).toBe('succeeded');
    expect(record.tracking.mlflow).toBeUndefined();
    expect(readTensorBoard(record.tracking.tensorboard as string).scalars['train/loss']).toHaveLength(2);
  });
});
