// Stage spans of @ftune/pipeline's runStage under a real SDK tracer (in-memory exporter): attributes
// from the output event, warnings as span events, `reused` on redelivery, error status on failure.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { newEnvelope, Topics } from '@ftune/contracts';
import { runStage, type Stage, type StageContext } from '@ftune/pipeline';
import { ArtifactStore } from '@ftune/storage';

type Ingest = Stage<typeof Topics.runRequested, typeof Topics.datasetIngested>;

const ingest = (fail = false): Ingest => ({
  name: 'ingest',
  consumes: Topics.runRequested,
  emits: Topics.datasetIngested,
  async handle(e, ctx) {
    ctx.log('reading');
    ctx.warn?.('train: 2 rows truncated to 64 tokens');
    if (fail) throw new Error('disk full');
    return {
      ...newEnvelope(e.runId),
      datasetDir: ctx.store.stageDir(e.runId, 'ingest'),
      datasetHash: 'abc123',
      counts: { train: 8, validation: 1, test: 1, rejected: 2 },
    };
  },
});

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const warnings: string[] = [];
  const ctx: StageContext = {
    store: new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-span-'))),
    log: () => undefined,
    warn: (m) => warnings.push(m),
    tracer: provider.getTracer('spec'),
    spanAttributes: { 'ftune.backend': 'cpu' },
  };
  return { exporter, ctx, warnings };
}

describe('stage spans', () => {
  it('name the stage and carry the run, the output figures and the warnings', async () => {
    const { exporter, ctx, warnings } = setup();
    const req = { ...newEnvelope('run-1'), config: { model: { preset: 'tiny' } } };
    await runStage(ingest(), req, ctx);
    await runStage(ingest(), req, ctx);
    const [first, second] = exporter.getFinishedSpans();
    expect(first.name).toBe('stage ingest');
    expect(first.attributes).toMatchObject({
      'ftune.run_id': 'run-1',
      'ftune.stage': 'ingest',
      'ftune.backend': 'cpu',
      'ftune.model': 'tiny',
      'ftune.dataset_hash': 'abc123',
      'ftune.records.train': 8,
      'ftune.records.rejected': 2,
      reused: false,
    });
    expect(first.events.map((e) => [e.name, e.attributes?.message])).toEqual([
      ['log', 'reading'],
      ['warning', 'train: 2 rows truncated to 64 tokens'],
    ]);
    expect(first.status.code).toBe(SpanStatusCode.OK);
    expect(warnings).toEqual(['train: 2 rows truncated to 64 tokens']);
    expect(second.attributes).toMatchObject({ reused: true, 'ftune.dataset_hash': 'abc123' });
  });

  it('set the error status when the stage fails', async () => {
    const { exporter, ctx } = setup();
    await expect(runStage(ingest(true), { ...newEnvelope('run-2'), config: {} }, ctx)).rejects.toThrow(
      'disk full',
    );
    const [span] = exporter.getFinishedSpans();
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk full' });
    expect(span.events.map((e) => e.name)).toContain('exception');
  });

  it('leave the stage untouched without a tracer', async () => {
    const { ctx } = setup();
    const out = await runStage(
      ingest(),
      { ...newEnvelope('run-3'), config: {} },
      { ...ctx, tracer: undefined },
    );
    expect(out.reused).toBe(false);
  });
});
