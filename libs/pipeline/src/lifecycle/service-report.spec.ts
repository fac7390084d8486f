import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { normalizeRunConfig } from '../config';
import { runConfigPath } from '../stages/common';
import { newRunRecord } from './run-record';
import { RunRecords } from './run-records';
import { reportServiceRun } from './service-report';

const root = mkdtempSync(join(tmpdir(), 'ftune-service-report-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("a services run's report", () => {
  it('is written once the record has succeeded with every stage output in, and names what was trained', () => {
    const store = new ArtifactStore(root);
    const records = new RunRecords(store);
    const config = normalizeRunConfig(
      { name: 'lora', dataset: { path: 'datasets/reviews.jsonl' }, model: { preset: 'tiny' }, training: { lora: { r: 4 } } },
      root,
    );
    store.writeJson(runConfigPath('r1'), { ...config, runId: 'r1' });
    store.writeJson('runs/r1/train/result.json', {
      parameters: {
        trainable: 1024,
        total: 1_649_920,
        base: 'runs/r1/train/start-model',
        adapter: { r: 4, alpha: 8, dropout: 0, targets: ['q_proj', 'v_proj'], bias: 'none' },
      },
    });
    const env = () => newEnvelope('r1');
    expect(records.create(newRunRecord('r1', 'lora'))).toBe(true);
    records.apply(Topics.runRequested, { ...env(), config: {} });
    records.apply(Topics.datasetIngested, {
      ...env(),
      datasetDir: 'runs/r1/ingest',
      datasetHash: 'h',
      counts: { train: 8, validation: 1, test: 1, rejected: 0 },
    });
    records.apply(Topics.datasetTokenized, { ...env(), datasetDir: 'runs/r1/ingest', tokenizedDir: 'runs/r1/tokenize', tokens: 90 });
    records.apply(Topics.modelTrained, { ...env(), modelDir: 'runs/r1/train/model', metricsPath: 'runs/r1/train/metrics.jsonl', steps: 3, finalLoss: 1.5 });
    records.apply(Topics.modelEvaluated, { ...env(), modelDir: 'runs/r1/train/model', evalPath: 'runs/r1/evaluate/eval.json', summary: { accuracy: 0.5 } });
    expect(reportServiceRun(store, records, 'r1')).toBeUndefined(); // still running
    // run.completed folded before the audit's output: the report waits for it
    records.apply(Topics.runCompleted, { ...env(), status: 'succeeded', runDir: 'runs/r1' });
    expect(reportServiceRun(store, records, 'r1')).toBeUndefined();
    expect(store.exists('runs/r1/report.html')).toBe(false);
    records.apply(Topics.modelAudited, { ...env(), auditPath: 'runs/r1/audit/audit.json', passed: true, reasons: [] });
    expect(reportServiceRun(store, records, 'r1')).toBe('runs/r1/report.html');
    expect(records.get('r1')?.result?.reportPath).toBe('runs/r1/report.html');
    const html = readFileSync(store.path('runs/r1/report.html'), 'utf8');
    expect(html).toMatch(/LoRA adapter \(r 4, alpha 8, dropout 0, on q_proj, v_proj\): 1,024 trainable of 1,649,920 \(0\.06%\), the base frozen/);
    expect(html).toContain('final loss 1.500');
    // written once: a redelivered event leaves it as it is
    expect(reportServiceRun(store, records, 'r1')).toBeUndefined();
  });
});
