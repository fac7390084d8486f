// What the services record for observability: the tracer their stage spans use, the metric instruments
// (created lazily, after each app's instrumentation.ts started the SDK), RPC latency per gRPC method,
// and the Kafka consumer lag of a stage's group, polled (latest offset minus committed offset).
import { performance } from 'node:perf_hooks';
import 'reflect-metadata';
import { trace, type Tracer } from '@opentelemetry/api';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { finalize, type Observable } from 'rxjs';
import { ftuneInstruments, METRIC_ATTRIBUTES, type FtuneInstruments } from '@ftune/telemetry';
import type { Logger } from './log';

let instruments: FtuneInstruments | undefined;

/** The ftune instruments on the global meter provider (no-ops when telemetry is off). */
export function serviceInstruments(): FtuneInstruments {
  instruments ??= ftuneInstruments();
  return instruments;
}

export function serviceTracer(): Tracer {
  return trace.getTracer('ftune');
}

/** `Service/Method` of a @GrpcMethod handler (its pattern metadata), else `Class/handler`. */
function rpcMethodOf(context: ExecutionContext): string {
  const patterns = Reflect.getMetadata('microservices:pattern', context.getHandler()) as unknown;
  const p = (Array.isArray(patterns) ? patterns[0] : undefined) as
    { service?: string; rpc?: string } | undefined;
  if (p?.service && p.rpc) return `${p.service}/${p.rpc}`;
  return `${context.getClass().name}/${context.getHandler().name}`;
}

/** Records every gRPC handler's wall time (a stream's until it ends) under `Service/method`. */
export class RpcMetricsInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const started = performance.now();
    const method = rpcMethodOf(context);
    return next.handle().pipe(
      finalize(() =>
        serviceInstruments().rpcDuration.record((performance.now() - started) / 1000, {
          [METRIC_ATTRIBUTES.rpcMethod]: method,
        }),
      ),
    );
  }
}

export interface LagPollOptions {
  groupId: string;
  stage: string;
  /** Topics as named in the contracts; `prefix` is prepended on the broker. */
  topics: string[];
  prefix: string;
  intervalMs: number;
}

/** Lag of `groupId` on `topic`: Σ over partitions of (high watermark − committed, or − low when none). */
export async function consumerLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  let lag = 0;
  for (const p of ends) {
    const c = at.get(p.partition) ?? -1;
    lag += Math.max(0, Number(p.high) - (c >= 0 ? c : Number(p.low)));
  }
  return lag;
}

/** Polls the stage group's lag into ftune.kafka.consumer_lag; the answer stops the polling. */
export function pollConsumerLag(kafka: Kafka, options: LagPollOptions, log: Logger): () => Promise<void> {
  const admin = kafka.admin();
  let connected: Promise<void> | undefined;
  let busy = false;
  const poll = async () => {
    if (busy) return;
    busy = true;
    try {
      connected ??= admin.connect();
      await connected;
      for (const topic of options.topics) {
        const lag = await consumerLag(admin, options.groupId, options.prefix + topic);
        serviceInstruments().consumerLag.record(lag, {
          [METRIC_ATTRIBUTES.stage]: options.stage,
          [METRIC_ATTRIBUTES.topic]: topic,
        });
      }
    } catch (error) {
      log.warn('consumer lag not measured', {
        error: error instanceof Error ? error.message : String(error),
      });
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void poll(), options.intervalMs);
  timer.unref();
  void poll();
  return async () => {
    clearInterval(timer);
    if (connected) await connected.then(() => admin.disconnect()).catch(() => undefined);
  };
}
