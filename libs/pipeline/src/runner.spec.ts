import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { Topics, type Topic } from '@ftune/contracts';
import { describe, expect, it } from 'vitest';
import { normalizeRunConfig } from './config';
import type { RunSummary } from './lifecycle/run-summary';
import { runPipeline } from './runner';

describe('runPipeline', () => {
  it('marks the run failed with the stage and reason, publishes run.failed and still writes run.json and a report', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'ftune-runner-'));
    const config = normalizeRunConfig({ dataset: { path: 'missing.jsonl' }, model: { preset: 'tiny' } }, dir);
    const topics: Topic[] = [];
    const outcome = await runPipeline({
      config,
      runId: 'r-fail',
      backend: { backend: 'cpu' },
      hooks: { onEvent: (topic) => topics.push(topic) },
    });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.failure?.stage).toBe('ingest');
    expect(outcome.record.failure?.reason).toMatch(/cannot read .*missing\.jsonl/);
    expect(topics).toEqual([Topics.runRequested, Topics.runFailed]);
    const run = JSON.parse(fs.readFileSync(join(dir, 'runs', 'r-fail', 'run.json'), 'utf8')) as RunSummary;
    expect(run.status).toBe('failed');
    expect(run.stages).toEqual([expect.objectContaining({ stage: 'ingest', status: 'failed' })]);
    expect(run.config.runId).toBe('r-fail');
    expect(fs.readFileSync(join(dir, 'runs', 'r-fail', 'report.html'), 'utf8')).toContain(
      'Stage ingest failed',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
