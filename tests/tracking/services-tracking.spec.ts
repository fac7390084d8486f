// The services' side of run tracking against the real MLflow server: the pipeline service folds the
// run's events into RunTrackings (it owns the MLflow run), the train job logs its steps from its own
// process through attachStageTracker. The events are the ones the Kafka topics carry, handed over
// directly: the transport is not under test here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { attachStageTracker, normalizeRunConfig, runConfigPath, RunTrackings } from '@ftune/pipeline';
import { ArtifactStore } from '@ftune/storage';
import { MLFLOW_RUN_FILE, MlflowClient, TENSORBOARD_DIR, type MlflowRunRef } from '@ftune/tracking';
import { readTensorBoard } from './tensorboard-reader';

const root = mkdtempSync(join(tmpdir(), 'ftune-services-tracking-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('run tracking in the services', () => {
  it('logs one MLflow run from the pipeline service and the train job together', async () => {
    const uri = inject('mlflowUri');
    const runId = 'svc-1';
    const store = new ArtifactStore(root);
    const config = normalizeRunConfig(
      {
        dataset: { path: 'data.jsonl' },
        model: { preset: 'tiny' },
        tracking: { mlflow: { trackingUri: uri, experimentName: 'ftune-services' } },
      },
      root,
    );
    store.writeJson(runConfigPath(runId), { ...config, runId });
    const warnings: string[] = [];
    const trackings = new RunTrackings(store, (id, m) => warnings.push(`${id}: ${m}`), {});
    const env = newEnvelope(runId);
    trackings.apply(Topics.runRequested, { ...env, config: {} }, 'a'.repeat(32));
    trackings.apply(Topics.datasetIngested, {
      ...newEnvelope(runId),
      datasetDir: `runs/${runId}/ingest`,
      datasetHash: 'f'.repeat(64),
      counts: { train: 8, validation: 1, test: 1, rejected: 0 },
    });

    // the train job, in its own process in the cluster: its tracker attaches to the run the service created
    const job = attachStageTracker(store, runId, { 'ftune.backend': 'cpu' }, (m) => warnings.push(m), {});
    expect(job).toBeDefined();
    for (let step = 1; step <= 3; step++) job?.metrics(step, { 'train/loss': 3 - step / 2 });
    await job?.close();

    store.writeJson(`runs/${runId}/evaluate/eval.json`, { loss: 1.25 });
    store.writeJson(`runs/${runId}/audit/audit.json`, {
      passed: true,
      gate: { checks: [{ name: 'maxFlipRate', value: 0.02 }] },
    });
    trackings.apply(Topics.modelTrained, {
      ...newEnvelope(runId),
      modelDir: 'm',
      metricsPath: 'x',
      steps: 3,
      finalLoss: 1.5,
    });
    trackings.apply(Topics.modelEvaluated, {
      ...newEnvelope(runId),
      modelDir: 'm',
      evalPath: `runs/${runId}/evaluate/eval.json`,
      summary: { loss: 1.25 },
    });
    trackings.apply(Topics.modelAudited, {
      ...newEnvelope(runId),
      auditPath: `runs/${runId}/audit/audit.json`,
      passed: true,
      reasons: [],
    });
    trackings.apply(Topics.runCompleted, {
      ...newEnvelope(runId),
      status: 'succeeded',
      runDir: `runs/${runId}`,
    });
    // the service writes report.html after run.completed ended the run's tracking: it still reaches the run
    writeFileSync(store.path(`runs/${runId}/report.html`), '<html>report</html>');
    trackings.report(runId, `runs/${runId}/report.html`);

    const ref = store.tryReadJson<MlflowRunRef>(`runs/${runId}/${MLFLOW_RUN_FILE}`) as MlflowRunRef;
    const client = new MlflowClient({ trackingUri: uri });
    const deadline = Date.now() + 30_000;
    while ((await client.getRun(ref.runId)).info.status !== 'FINISHED' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const run = await client.getRun(ref.runId);
    expect(run.info.status).toBe('FINISHED');
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'ftune.run_id': runId,
      'ftune.trace_id': 'a'.repeat(32),
      'ftune.dataset_hash': 'f'.repeat(64),
      'ftune.backend': 'cpu',
      'ftune.model': 'tiny',
    });
    expect((await client.metricHistory(ref.runId, 'train/loss')).map((m) => [m.step, m.value])).toEqual([
      [1, 2.5],
      [2, 2],
      [3, 1.5],
    ]);
    expect((await client.metricHistory(ref.runId, 'test/loss')).map((m) => [m.step, m.value])).toEqual([
      [3, 1.25],
    ]);
    expect((await client.metricHistory(ref.runId, 'audit/flipRate'))[0].value).toBe(0.02);
    await trackings.close();
    expect((await client.listArtifacts(ref.runId)).map((f) => f.path).sort()).toEqual([
      'audit.json',
      'eval.json',
      'report.html',
    ]);
    expect(warnings).toEqual([]);
    // two event files in the run folder (the job's and the service's), read by TensorBoard as one run
    const tb = readTensorBoard(join(store.runDir(runId), TENSORBOARD_DIR));
    expect(tb.files).toBe(2);
    expect(tb.scalars['train/loss']).toHaveLength(3);
    expect(tb.scalars['test/loss'][0][0]).toBe(3);
  });
});
