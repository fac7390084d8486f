// Carrying the run's trace across process boundaries that no instrumentation covers: a training
// job started as a child process or Kubernetes Job (TRACEPARENT in its environment), and event
// payloads handled outside kafkajs. W3C trace context, through @opentelemetry/api's propagator.
import { context, propagation, trace, type Context, type Span } from '@opentelemetry/api';

/** W3C headers (traceparent, tracestate) for the active context. */
export function currentTraceHeaders(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** A context continuing the trace of `headers` (Kafka headers as Buffers or strings work too). */
export function contextFromHeaders(headers: Record<string, unknown> | undefined): Context {
  const carrier: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (typeof v === 'string') carrier[k.toLowerCase()] = v;
    else if (Buffer.isBuffer(v)) carrier[k.toLowerCase()] = v.toString('utf8');
  }
  return propagation.extract(context.active(), carrier);
}

/** Environment for a child process (or Job) that continues the current trace. */
export function traceEnv(ctx: Context = context.active()): Record<string, string> {
  const h = currentTraceHeaders(ctx);
  return h.traceparent
    ? { TRACEPARENT: h.traceparent, ...(h.tracestate ? { TRACESTATE: h.tracestate } : {}) }
    : {};
}

/** The context a process was started in (TRACEPARENT / TRACESTATE variables), or the active one. */
export function contextFromEnv(env: NodeJS.ProcessEnv = process.env): Context {
  if (!env.TRACEPARENT) return context.active();
  return contextFromHeaders({ traceparent: env.TRACEPARENT, tracestate: env.TRACESTATE });
}

/** The trace id of a span, or of the active span. */
export function traceIdOf(span: Span | undefined = trace.getActiveSpan()): string | undefined {
  const id = span?.spanContext().traceId;
  return id && !/^0+$/.test(id) ? id : undefined;
}
