// A real OTLP/HTTP receiver (JSON encoding) on 127.0.0.1 collects what the SDK exports.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { context, trace } from '@opentelemetry/api';
import {
  contextFromEnv,
  contextFromHeaders,
  currentTraceHeaders,
  ftuneInstruments,
  recordTrainingProgress,
  startTelemetry,
  telemetryConfigured,
  traceEnv,
  traceIdOf,
  type Telemetry,
} from './index';

interface Received {
  path: string;
  body: Record<string, unknown>;
}
const received: Received[] = [];
let server: Server;
let telemetry: Telemetry;

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString('utf8')));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data) as Record<string, unknown> });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.OTEL_EXPORTER_OTLP_PROTOCOL = 'http/json';
  process.env.OTEL_METRIC_EXPORT_INTERVAL = '600000';
  telemetry = startTelemetry({ serviceName: 'ftune-test', attributes: { 'ftune.component': 'spec' } });
});

afterAll(async () => {
  await telemetry.shutdown();
  server.close();
});

type Span = {
  name: string;
  traceId: string;
  parentSpanId?: string;
  spanId: string;
  attributes: Array<{ key: string }>;
};
const spans = (): Span[] =>
  received
    .filter((r) => r.path === '/v1/traces')
    .flatMap((r) =>
      (r.body.resourceSpans as Array<{ scopeSpans: Array<{ spans: Span[] }> }>).flatMap((rs) =>
        rs.scopeSpans.flatMap((s) => s.spans),
      ),
    );

describe('telemetry', () => {
  it('is off without an endpoint', () => {
    expect(telemetryConfigured({})).toBe(false);
    expect(telemetryConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x' })).toBe(true);
  });

  it('exports spans over OTLP/HTTP JSON and carries the trace through TRACEPARENT', async () => {
    expect(telemetry.enabled).toBe(true);
    const tracer = trace.getTracer('spec');
    let rootTrace = '';
    await tracer.startActiveSpan('StartRun', async (root) => {
      rootTrace = traceIdOf(root) ?? '';
      const env = traceEnv();
      expect(env.TRACEPARENT).toMatch(new RegExp(`^00-${rootTrace}-[0-9a-f]{16}-01$`));
      // as a child process would: continue from the environment
      const child = tracer.startSpan('train-job', {}, contextFromEnv(env));
      child.end();
      // as a Kafka consumer would: continue from message headers (Buffers)
      const headers = Object.fromEntries(
        Object.entries(currentTraceHeaders()).map(([k, v]) => [k, Buffer.from(v)]),
      );
      const consumer = tracer.startSpan('ingest.handle', {}, contextFromHeaders(headers));
      consumer.end();
      root.end();
    });
    await telemetry.flush();
    const got = spans();
    const byName = Object.fromEntries(got.map((s) => [s.name, s]));
    expect(Object.keys(byName).sort()).toEqual(['StartRun', 'ingest.handle', 'train-job']);
    for (const s of got) expect(s.traceId).toBe(rootTrace);
    expect(byName['train-job'].parentSpanId).toBe(byName.StartRun.spanId);
    expect(byName['ingest.handle'].parentSpanId).toBe(byName.StartRun.spanId);
    const resource = (
      received.find((r) => r.path === '/v1/traces')?.body.resourceSpans as Array<{
        resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
      }>
    )[0].resource;
    const attrs = Object.fromEntries(resource.attributes.map((a) => [a.key, a.value.stringValue]));
    expect(attrs['service.name']).toBe('ftune-test');
    expect(attrs['ftune.component']).toBe('spec');
    expect(context.active()).toBeDefined();
  });

  it('exports the training metrics by their documented names', async () => {
    const m = ftuneInstruments();
    recordTrainingProgress(
      m,
      { loss: 2.5, learningRate: 1e-3, tokensPerSecond: 900, evalLoss: 2.7, stepSeconds: 0.2 },
      { 'ftune.run_id': 'r1' },
    );
    await telemetry.flush();
    const names = received
      .filter((r) => r.path === '/v1/metrics')
      .flatMap((r) =>
        (
          r.body.resourceMetrics as Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }>
        ).flatMap((rm) => rm.scopeMetrics.flatMap((s) => s.metrics.map((x) => x.name))),
      );
    for (const n of [
      'ftune.training.loss',
      'ftune.training.learning_rate',
      'ftune.training.tokens_per_second',
      'ftune.training.eval_loss',
      'ftune.training.step_duration',
      'ftune.process.memory',
    ]) {
      expect(names).toContain(n);
    }
  });
});
