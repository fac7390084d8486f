// @ftune/tracking against a real MLflow tracking server (tests/support/mlflow.ts): a run's params,
// tags, per-step metrics, artifacts and status, read back through MLflow's REST API; a second process's
// tracker logging into the same run; and a server that is down.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { MLFLOW_RUN_FILE, MlflowClient, RunTracker, type MlflowRunRef } from '@ftune/tracking';
import { freePort } from '../support/mlflow';

const uri = inject('mlflowUri');

describe('RunTracker → MLflow', () => {
  it('creates one run with params, tags, metric history per step, artifacts and the end status', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-track-'));
    writeFileSync(join(dir, 'report.html'), '<html>report</html>');
    const warnings: string[] = [];
    const settings = { trackingUri: uri, experimentName: 'tracker-spec', headers: {} };
    const owner = new RunTracker({
      dir,
      runName: 'run-a',
      tensorboard: false,
      mlflow: settings,
      role: 'owner',
      tags: { 'ftune.run_id': 'run-a' },
      warn: (m) => warnings.push(m),
    });
    owner.params({ 'training.learningRate': 0.0005, 'training.lrScheduler': 'cosine' });
    owner.tags({ 'ftune.dataset_hash': 'abc123' });
    for (let step = 1; step <= 30; step++)
      owner.metrics(step, { 'train/loss': 4 - step / 10, 'train/learning_rate': 5e-4 });
    expect(await owner.flush()).toBe(true);
    const ref = JSON.parse(readFileSync(join(dir, MLFLOW_RUN_FILE), 'utf8')) as MlflowRunRef;
    expect(ref.trackingUri).toBe(uri);

    // another process (the train job of the services) logs into the same run, and does not end it
    const attached = new RunTracker({
      dir,
      runName: 'run-a',
      tensorboard: false,
      mlflow: settings,
      role: 'attach',
      warn: (m) => warnings.push(m),
    });
    attached.metrics(5, { 'eval/loss': 3.25 });
    await attached.close();
    const client = new MlflowClient({ trackingUri: uri });
    expect((await client.getRun(ref.runId)).info.status).toBe('RUNNING');

    owner.metrics(30, { 'test/perplexity': 12.5 });
    owner.artifact(join(dir, 'report.html'));
    await owner.close('FINISHED');
    expect(warnings).toEqual([]);

    const run = await client.getRun(ref.runId);
    expect(run.info).toMatchObject({
      run_name: 'run-a',
      status: 'FINISHED',
      experiment_id: ref.experimentId,
    });
    expect(run.info.end_time).toBeGreaterThanOrEqual(run.info.start_time ?? Infinity);
    expect(Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]))).toEqual({
      'training.learningRate': '0.0005',
      'training.lrScheduler': 'cosine',
    });
    const tags = Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({
      'ftune.run_id': 'run-a',
      'ftune.dataset_hash': 'abc123',
      'mlflow.source.name': 'ftune',
    });
    const loss = await client.metricHistory(ref.runId, 'train/loss');
    expect(loss.map((m) => m.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(loss[9].value).toBeCloseTo(3, 10);
    expect((await client.metricHistory(ref.runId, 'eval/loss')).map((m) => [m.step, m.value])).toEqual([
      [5, 3.25],
    ]);
    expect((await client.metricHistory(ref.runId, 'test/perplexity'))[0].value).toBe(12.5);
    const files = await client.listArtifacts(ref.runId);
    expect(files).toEqual([expect.objectContaining({ path: 'report.html', is_dir: false, file_size: 19 })]);

    // a re-run of the same ftune run logs into the MLflow run it created the first time
    const again = new RunTracker({
      dir,
      runName: 'run-a',
      tensorboard: false,
      mlflow: settings,
      role: 'owner',
      warn: (m) => warnings.push(m),
    });
    again.metrics(31, { 'train/loss': 0.5 });
    await again.close('FINISHED');
    expect(await client.metricHistory(ref.runId, 'train/loss')).toHaveLength(31);
    expect(warnings).toEqual([]);
  });

  it('with the server down, a run goes on: close() returns within its deadline with one warning to show', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-track-down-'));
    const warnings: string[] = [];
    const tracker = new RunTracker({
      dir,
      runName: 'run-down',
      tensorboard: true,
      mlflow: { trackingUri: `http://127.0.0.1:${await freePort()}`, experimentName: 'x', headers: {} },
      role: 'owner',
      warn: (m) => warnings.push(m),
      closeTimeoutMs: 2000,
    });
    for (let step = 1; step <= 3; step++) tracker.metrics(step, { 'train/loss': step });
    const t0 = Date.now();
    await tracker.close('FINISHED');
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(warnings.some((w) => /not delivered .*the run itself.*3 metric values/.test(w))).toBe(true);
    expect(readFileSync(tracker.tensorboardFile as string).length).toBeGreaterThan(0);
  });
});
