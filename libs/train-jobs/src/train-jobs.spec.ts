// A training job keeps the trace of the message that asked for it: every attempt, in a child process
// or a Kubernetes Job, continues that trace through TRACEPARENT.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { node } from '@opentelemetry/sdk-node';
import { newEnvelope } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { recordJob } from './train-jobs';

const input = (runId: string) => ({
  ...newEnvelope(runId),
  datasetDir: `runs/${runId}/ingest`,
  tokenizedDir: `runs/${runId}/tokenize`,
  tokens: 10,
});

describe('recordJob', () => {
  // what the SDK registers: the async-local-storage context manager and the W3C propagator
  beforeAll(() => new node.NodeTracerProvider().register());
  afterAll(() => {
    propagation.disable();
    context.disable();
    trace.disable();
  });

  it('records the traceparent of the active span', () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-jobs-')));
    const span = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
    });
    const { job } = context.with(trace.setSpan(context.active(), span), () => recordJob(store, input('r1')));
    expect(job.traceparent).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  });

  it('records none outside a trace', () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-jobs-')));
    expect(recordJob(store, input('r2')).job.traceparent).toBeUndefined();
  });
});
