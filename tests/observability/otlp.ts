// An OTLP/HTTP receiver (JSON encoding, as OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends it) on
// 127.0.0.1 for the tests: collects the spans and metric points the processes export, with their
// resource's service.name, and answers what a trace looks like.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
};
type KeyValue = { key: string; value: AnyValue };

export interface ReceivedSpan {
  service: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, string | number | boolean | undefined>;
  events: Array<{ name: string; attributes: Record<string, string | number | boolean | undefined> }>;
  status: { code?: number; message?: string };
}

export interface ReceivedPoint {
  service: string;
  metric: string;
  attributes: Record<string, string | number | boolean | undefined>;
  value: number | undefined;
}

/** Span kinds as OTLP numbers them. */
export const SpanKind = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

const valueOf = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.doubleValue ?? v.boolValue));
const attrs = (list: KeyValue[] | undefined) =>
  Object.fromEntries((list ?? []).map((a) => [a.key, valueOf(a.value)]));

interface Resource {
  resource?: { attributes?: KeyValue[] };
}
interface TracesBody {
  resourceSpans?: Array<
    Resource & {
      scopeSpans?: Array<{
        spans?: Array<{
          name: string;
          kind: number;
          traceId: string;
          spanId: string;
          parentSpanId?: string;
          attributes?: KeyValue[];
          events?: Array<{ name: string; attributes?: KeyValue[] }>;
          status?: { code?: number; message?: string };
        }>;
      }>;
    }
  >;
}
type DataPoint = {
  attributes?: KeyValue[];
  asDouble?: number;
  asInt?: string | number;
  count?: string | number;
};
interface MetricsBody {
  resourceMetrics?: Array<
    Resource & {
      scopeMetrics?: Array<{
        metrics?: Array<{
          name: string;
          gauge?: { dataPoints?: DataPoint[] };
          sum?: { dataPoints?: DataPoint[] };
          histogram?: { dataPoints?: DataPoint[] };
        }>;
      }>;
    }
  >;
}

const serviceOf = (r: Resource) => String(attrs(r.resource?.attributes)['service.name'] ?? '');

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly points: ReceivedPoint[] = [];
  /** Content types of the export requests (http/json sends application/json). */
  readonly contentTypes = new Set<string>();
  private server: Server | undefined;
  endpoint = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.contentTypes.add(String(req.headers['content-type']));
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as TracesBody & MetricsBody;
          if (req.url === '/v1/traces') this.addSpans(body);
          if (req.url === '/v1/metrics') this.addMetrics(body);
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    await new Promise<void>((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  /** Environment that makes a process export here, quickly. */
  env(): Record<string, string> {
    return {
      OTEL_EXPORTER_OTLP_ENDPOINT: this.endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
    };
  }

  private addSpans(body: TracesBody): void {
    for (const rs of body.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            service: serviceOf(rs),
            name: s.name,
            kind: s.kind,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId || undefined,
            attributes: attrs(s.attributes),
            events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attrs(e.attributes) })),
            status: s.status ?? {},
          });
  }

  private addMetrics(body: MetricsBody): void {
    for (const rm of body.resourceMetrics ?? [])
      for (const sm of rm.scopeMetrics ?? [])
        for (const m of sm.metrics ?? []) {
          const points = m.gauge?.dataPoints ?? m.sum?.dataPoints ?? m.histogram?.dataPoints ?? [];
          for (const p of points) {
            const raw = p.asDouble ?? p.asInt ?? p.count;
            this.points.push({
              service: serviceOf(rm),
              metric: m.name,
              attributes: attrs(p.attributes),
              value: raw === undefined ? undefined : Number(raw),
            });
          }
        }
  }

  /** The span and its ancestors, nearest first (stops where a parent was not received). */
  ancestry(span: ReceivedSpan): ReceivedSpan[] {
    const byId = new Map(this.spans.map((s) => [s.spanId, s]));
    const chain = [span];
    for (let s = span; s.parentSpanId && byId.has(s.parentSpanId);) {
      s = byId.get(s.parentSpanId) as ReceivedSpan;
      chain.push(s);
    }
    return chain;
  }

  metricNames(): Set<string> {
    return new Set(this.points.map((p) => p.metric));
  }
}

export async function until<T>(
  what: string,
  probe: () => T | undefined | false,
  timeoutMs: number,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
