// The local job runner with real child processes: a job script that, like `ftune train-job`, exits
// 143 after SIGTERM. Stops the runner asks for (service shutdown, cancel) use up no attempt; a job
// that dies on its own does.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type Topic } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { createLogger, type EventProducer } from '@ftune/transport';
import { ProcessJobRunner } from './job-runner';
import { processAlive, readJob, recordJob } from './train-jobs';
import { until } from './testing/until';

const JOB = `process.on('SIGTERM', () => process.exit(143)); setInterval(() => undefined, 1000);`;

describe('process job runner', () => {
  const runners: ProcessJobRunner[] = [];
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stopAll(2000)));
  });

  it('does not count its own stops (shutdown, cancel) against the restart attempts; a crash counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-runner-'));
    const script = join(dir, 'job.js');
    writeFileSync(script, JOB);
    const store = new ArtifactStore(join(dir, 'store'));
    const failed: Array<{ runId: string; reason: string }> = [];
    const producer = {
      publish: async (topic: Topic, event: { runId: string; reason: string }) => {
        if (topic === Topics.runFailed) failed.push(event);
      },
    } as unknown as EventProducer;
    const runner = () => {
      const r = new ProcessJobRunner(
        store,
        producer,
        createLogger({}, () => undefined),
        {
          command: [process.execPath, script],
          maxAttempts: 1,
          restartDelayMs: 10,
        },
      );
      runners.push(r);
      return r;
    };
    for (const id of ['r1', 'r2'])
      recordJob(store, { ...newEnvelope(id), datasetDir: 'd', tokenizedDir: 't', tokens: 1 });

    // a service process starts the jobs and is stopped: its children checkpoint and exit
    const first = runner();
    await first.ensure('r1');
    await first.ensure('r2');
    expect(readJob(store, 'r1')).toMatchObject({ state: 'running', attempt: 1 });
    await first.stopAll(5000);
    expect(readJob(store, 'r1')).toMatchObject({ attempt: 1, runnerStops: 1 });

    // the next one resumes them although one attempt is all a job may fail
    const second = runner();
    await second.resumeAll();
    expect(failed).toEqual([]);
    expect(readJob(store, 'r1')).toMatchObject({ state: 'running', attempt: 2 });
    const pid = readJob(store, 'r1')?.pid;
    expect(processAlive(pid)).toBe(true);

    // a cancel stops r2 for good, and is no failure either
    await second.cancel('r2', 'no longer wanted');
    await new Promise((r) => setTimeout(r, 300));
    expect(readJob(store, 'r2')).toMatchObject({ state: 'cancelled', error: 'no longer wanted' });

    // r1 dies on its own: that is its one failed attempt
    process.kill(pid ?? 0, 'SIGKILL');
    await until('run.failed', () => failed.length > 0);
    expect(failed.map((f) => f.runId)).toEqual(['r1']);
    expect(failed[0].reason).toContain('signal SIGKILL');
    expect(readJob(store, 'r1')).toMatchObject({ state: 'failed' });
  });
});
