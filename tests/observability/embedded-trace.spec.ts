// The embedded run (`ftune run`, one process) exports too when OTEL_EXPORTER_OTLP_ENDPOINT is set: a
// root span `run <id>` with the five stage spans under it (service ftune-local), the trace id printed
// and written to run.json, and the training and ingest metrics over OTLP.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '@ftune/telemetry';
import { ftune, writeTinyRunConfig } from '../support/ftune';
import { OtlpReceiver, until } from './otlp';

const STAGES = ['ingest', 'tokenize', 'train', 'evaluate', 'audit'];

describe('ftune run with a collector', { timeout: 300_000 }, () => {
  const otlp = new OtlpReceiver();
  const tmp = mkdtempSync(join(tmpdir(), 'ftune-otel-run-'));
  beforeAll(async () => {
    await otlp.start();
  });
  afterAll(async () => {
    await otlp.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('exports one trace rooted at `run <id>` and writes its id to run.json', async () => {
    const config = writeTinyRunConfig(tmp, {
      name: 'otel',
      runId: 'otel-1',
      training: { maxSteps: 3 },
      evaluation: { samples: 2, bootstrap: 20 },
    });
    const r = await ftune(['run', config], { ...process.env, ...otlp.env(), OTEL_SERVICE_NAME: '' });
    expect(r.code, r.stderr).toBe(0);
    const traceId = /trace id: +([0-9a-f]{32})/.exec(r.stdout)?.[1];
    expect(traceId).toBeDefined();
    const record = JSON.parse(readFileSync(join(tmp, 'runs', 'otel-1', 'run.json'), 'utf8')) as {
      traceId?: string;
    };
    expect(record.traceId).toBe(traceId);

    // the process shuts the SDK down before it exits: everything has arrived
    const root = otlp.spans.find((s) => s.name === 'run otel-1');
    expect(root?.traceId).toBe(traceId);
    expect(root?.parentSpanId).toBeUndefined();
    expect(root?.service).toBe('ftune-local');
    for (const stage of STAGES) {
      const span = otlp.spans.find((s) => s.name === `stage ${stage}`);
      expect(span, stage).toBeDefined();
      expect(span?.traceId).toBe(traceId);
      expect(span?.parentSpanId).toBe(root?.spanId);
      expect(span?.attributes).toMatchObject({
        'ftune.run_id': 'otel-1',
        'ftune.stage': stage,
        reused: false,
      });
      expect(span?.attributes['ftune.backend']).toBeTypeOf('string');
    }
    const names = await until('the metrics', () => otlp.metricNames(), 5_000);
    for (const n of [
      METRIC_NAMES.trainingLoss,
      METRIC_NAMES.recordsIngested,
      METRIC_NAMES.stageDuration,
      METRIC_NAMES.processMemory,
    ])
      expect(names).toContain(n);
    console.log(`embedded run: ${otlp.spans.length} spans, trace ${traceId}`);
  });
});
