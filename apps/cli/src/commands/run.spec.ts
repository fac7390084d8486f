// `ftune run` end to end, as a real process, on a reduced config of the bundled example (tiny preset,
// a few hundred records, a few steps): the run folder holds everything, the model folder loads, the
// report stands alone, and re-running the same run id skips the complete stages.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { externalReferences, svgFragments, xmlProblems } from '@ftune/eval';
import { loadModel } from '@ftune/model-gpt-neo';
import { BIN, ROOT, writeExampleConfig } from './example-config.testing';
import { afterAll, describe, expect, it } from 'vitest';

const { dir: tmp, config } = writeExampleConfig({
  name: 'e2e',
  runId: 'e2e-1',
  maxRecords: 240,
  maxSteps: 8,
  samples: 2,
  extra: [
    'audit:',
    '  mitigation: reweight',
    '  outputFilter:',
    '    - { pattern: "\\\\bterrible\\\\b", action: rewrite, replacement: "[filtered]", reason: demo }',
  ],
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ftune(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: ROOT });
}

describe('ftune run', () => {
  const runDir = join(tmp, 'runs', 'e2e-1');

  it('runs every stage and fills the run folder', () => {
    const r = ftune(['run', config]);
    expect(r.stderr).toContain('[5/5] audit: done');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`run folder: ${runDir}`);

    const run = JSON.parse(fs.readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      status: string;
      stages: Array<{ stage: string; status: string; seconds: number }>;
      backend: { backend?: string };
      versions: Record<string, string>;
      config: { training: { maxSteps: number } };
      results: { steps: number; evaluation: Record<string, number>; audit: { passed: boolean } };
    };
    expect(run.status).toBe('succeeded');
    expect(run.stages.map((s) => `${s.stage}:${s.status}`)).toEqual([
      'ingest:done',
      'tokenize:done',
      'train:done',
      'evaluate:done',
      'audit:done',
    ]);
    expect(run.backend.backend).toBeTruthy();
    expect(run.versions['tfjs-core']).toBe('4.22.0');
    expect(run.config.training.maxSteps).toBe(8);
    expect(run.results.steps).toBe(8);
    expect(run.results.evaluation.majority_accuracy).toBeGreaterThan(0);

    const manifest = JSON.parse(fs.readFileSync(join(runDir, 'ingest', 'manifest.json'), 'utf8')) as {
      records: { total: number };
    };
    expect(manifest.records.total).toBe(240);
    const metrics = fs
      .readFileSync(join(runDir, 'train', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(metrics.filter((l) => 'loss' in (JSON.parse(l) as object)).length).toBe(8);
    expect(fs.existsSync(join(runDir, 'evaluate', 'eval.json'))).toBe(true);

    const audit = JSON.parse(fs.readFileSync(join(runDir, 'audit', 'audit.json'), 'utf8')) as {
      passed: boolean;
      gate: { checks: unknown[] };
      datasetAudit: { dimensions: Array<{ dimension: string }> };
      model: { counterfactual: { pairs: unknown[] }; fairness: unknown[] };
      baseline: object | null;
      mitigation: string;
    };
    expect(typeof audit.passed).toBe('boolean');
    expect(audit.passed).toBe(run.results.audit.passed);
    expect(audit.gate.checks.length).toBeGreaterThan(0);
    expect(audit.datasetAudit.dimensions.map((d) => d.dimension)).toContain('gender');
    expect(audit.model.counterfactual.pairs.length).toBeGreaterThan(0);
    expect(audit.model.fairness.length).toBeGreaterThan(0);
    expect(audit.baseline).not.toBeNull();
    expect(audit.mitigation).toBe('reweight');
    const mitigation = JSON.parse(fs.readFileSync(join(runDir, 'train', 'mitigation.json'), 'utf8')) as {
      kind: string;
      dimension: string;
    };
    expect(mitigation).toMatchObject({ kind: 'reweight', dimension: 'gender' });
    expect(fs.existsSync(join(runDir, 'evaluate', 'output-filter.json'))).toBe(true);

    const model = loadModel(join(runDir, 'train', 'model'));
    expect(model.config.hiddenSize).toBe(32);
    model.dispose();
    for (const f of ['tokenizer.json', 'config.json'])
      expect(fs.existsSync(join(runDir, 'train', 'model', f))).toBe(true);

    const html = fs.readFileSync(join(runDir, 'report.html'), 'utf8');
    expect(externalReferences(html)).toEqual([]);
    const charts = svgFragments(html);
    expect(charts.length).toBeGreaterThanOrEqual(4);
    for (const svg of charts) expect(xmlProblems(svg)).toEqual([]);
    for (const title of ['Run summary', 'Evaluation', 'Training curves', 'Bias audit', 'Generated samples'])
      expect(html).toContain(`>${title}</h2>`);
  }, 600_000);

  it('skips the complete stages when the same run id runs again', () => {
    const before = fs.statSync(join(runDir, 'train', 'model', 'model.safetensors')).mtimeMs;
    const r = ftune(['run', config]);
    expect(r.status, r.stderr).toBe(0);
    for (const s of ['ingest', 'tokenize', 'train', 'evaluate', 'audit'])
      expect(r.stderr).toContain(`${s}: already complete, skipped`);
    expect(fs.statSync(join(runDir, 'train', 'model', 'model.safetensors')).mtimeMs).toBe(before);
    const run = JSON.parse(fs.readFileSync(join(runDir, 'run.json'), 'utf8')) as {
      status: string;
      stages: Array<{ status: string; workSeconds?: number }>;
    };
    expect(run.status).toBe('succeeded');
    expect(run.stages.every((s) => s.status === 'skipped' && (s.workSeconds ?? -1) >= 0)).toBe(true);
  }, 300_000);

  it('redoes a stage whose completion marker is missing, and refuses a changed config for the same id', () => {
    fs.rmSync(join(runDir, 'audit', '_complete.json'));
    const r = ftune(['run', config]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('train: already complete, skipped');
    expect(r.stderr).toContain('[5/5] audit: done');
    const changed = ftune(['run', config, '--max-steps', '9']);
    expect(changed.status).toBe(2);
    expect(changed.stderr).toMatch(/run e2e-1 exists with a different config/);
  }, 300_000);

  it('names the field of a config mistake', () => {
    const bad = join(tmp, 'bad.yaml');
    fs.writeFileSync(
      bad,
      'dataset: { path: x.jsonl }\nmodel: { preset: tiny }\ntraining: { batchSize: 0 }\n',
    );
    const r = ftune(['run', bad]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/training\.batchSize: must be >= 1/);
  }, 120_000);
});
