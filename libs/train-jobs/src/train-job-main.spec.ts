// A training job whose model is complete but whose model.trained cannot be published (no broker at
// the address) ends the attempt with EX_TEMPFAIL for its runner to retry, without marking the job
// failed or publishing run.failed.
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { newEnvelope } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { createLogger, EventProducer } from '@ftune/transport';
import { EXIT_TEMPFAIL, runTrainJobAttempt } from './train-job-main';
import { readJob, recordJob } from './train-jobs';

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', () => done()));
  const port = (s.address() as { port: number }).port;
  await new Promise((done) => s.close(done));
  return port;
}

describe('a training job whose result cannot be published', () => {
  it('is retried, not failed', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-job-')));
    const input = {
      ...newEnvelope('r1'),
      datasetDir: 'runs/r1/ingest',
      tokenizedDir: 'runs/r1/tokenize',
      tokens: 10,
    };
    recordJob(store, input);
    const trained = {
      ...newEnvelope('r1'),
      modelDir: 'runs/r1/train/model',
      metricsPath: 'runs/r1/train/metrics.jsonl',
      steps: 4,
      finalLoss: 1.5,
    };
    store.markComplete('r1', 'train', { event: trained });
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${await closedPort()}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 300,
      retry: { retries: 0 },
    });
    const producer = new EventProducer(kafka);
    const lines: string[] = [];
    const code = await runTrainJobAttempt('r1', {
      store,
      producer,
      log: createLogger({}, (l) => lines.push(l)),
      publishAttempts: 2,
    });
    await producer.close();
    expect(code).toBe(EXIT_TEMPFAIL);
    expect(readJob(store, 'r1')?.state).not.toBe('failed');
    expect(lines.some((l) => l.includes('model.trained not published'))).toBe(true);
    expect(store.completion('r1', 'train')?.outputs.event).toMatchObject({ steps: 4 });
  }, 60_000);
});
