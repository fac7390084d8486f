// A pipeline stage: a stateless handler `(event, artifact store) → artifacts + next event`. The same
// stages run on the in-process bus (`ftune run`, `npm start`), behind Kafka (the services) and in the
// training job. `runStage` is the one wrapper every host runs a stage in: it makes the stage idempotent
// (a stage whose completion marker exists is not redone, its recorded output event is re-emitted; an
// incomplete stage folder is cleared and redone; a lease per (run, stage) keeps a second host from
// running it at the same time: lifecycle/lease.ts), runs it in a span `stage <name>` given a tracer (run
// id, stage, the figures its output event carries, warnings as span events, error status on failure:
// @opentelemetry/api only), records its duration and failures in the host's metrics, and tells the
// host when it starts, ends, is skipped or fails (the host logs or draws that).
import { SpanStatusCode, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { newEnvelope, validateEvent, type EventByTopic, type StageName, type Topic } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import { acquireLease, type Lease } from './lifecycle/lease';
import type { RunTracker } from '@ftune/tracking';

export interface StageProgress {
  stage: StageName;
  /** What is counted: records, tokens, steps … */
  unit: string;
  done: number;
  total?: number;
  /** Extra figures worth showing (loss, tokens/s …). */
  fields?: Record<string, number | string>;
}

export interface StageContext {
  store: ArtifactStore;
  /** Structured log line (the caller adds the run id and stage). */
  log(message: string, fields?: Record<string, unknown>): void;
  /** Something the user should look at (rows truncated, template not found); falls back to `log`. */
  warn?(message: string, fields?: Record<string, unknown>): void;
  /** Progress of long work; throttling is the receiver's business. */
  progress?(p: StageProgress): void;
  /** Events a stage emits while it works (training.progress.v1). */
  emit?<T extends Topic>(topic: T, event: EventByTopic[T]): Promise<void>;
  /** Cancels the work (CancelRun / CancelJob / shutdown). */
  signal?: AbortSignal;
  tracer?: Tracer;
  /** Extra attributes of the stage span (e.g. ftune.backend), set by the process running the stage. */
  spanAttributes?: Attributes;
  /** The run's experiment tracking (MLflow, TensorBoard), opened by the process running the stage. */
  tracker?: RunTracker;
  /** Where the stage's duration and failures are recorded. */
  metrics?: StageMetrics;
  /** Told when the stage starts, ends, is skipped or fails. */
  onStage?(notice: StageNotice): void;
}

/** Where a host records stage durations and failures (the OpenTelemetry instruments of @ftune/telemetry). */
export interface StageMetrics {
  /** The stage did its work in `seconds` (not called when a complete stage's output is re-emitted). */
  stageDone(stage: StageName, seconds: number, out: object): void;
  stageFailed(stage: StageName): void;
}

export interface StageNotice {
  stage: StageName;
  runId: string;
  /** `skipped`: the stage was complete already and its recorded output is re-emitted. */
  status: 'started' | 'done' | 'skipped' | 'failed';
  seconds?: number;
  error?: unknown;
}

export interface StageRunOptions {
  /**
   * Keep what an unfinished attempt left in the stage folder instead of clearing it (the training job
   * resumes from its last checkpoint there).
   */
  resume?: boolean;
}

export interface StageExecution<O extends Topic> {
  event: EventByTopic[O];
  /** True when the stage was complete already and its recorded output was re-emitted. */
  reused: boolean;
  seconds: number;
}

export interface Stage<I extends Topic = Topic, O extends Topic = Topic> {
  readonly name: StageName;
  readonly consumes: I;
  readonly emits: O;
  handle(event: EventByTopic[I], ctx: StageContext): Promise<EventByTopic[O]>;
}

/** Span attributes of what a stage's output event carries (dataset hash, record counts, model …). */
export function eventAttributes(event: object): Attributes {
  const e = event as Record<string, unknown>;
  const a: Attributes = {};
  const put = (key: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') a[key] = v;
  };
  put('ftune.dataset_hash', e.datasetHash);
  const counts = e.counts as Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(counts ?? {})) put(`ftune.records.${k}`, v);
  put('ftune.tokens', e.tokens);
  put('ftune.model_dir', e.modelDir);
  put('ftune.training.steps', e.steps);
  put('ftune.training.final_loss', e.finalLoss);
  put('ftune.audit.passed', e.passed);
  const config = e.config as { model?: Record<string, unknown> } | undefined;
  put('ftune.model', config?.model?.preset ?? config?.model?.path ?? config?.model?.name);
  return a;
}

/**
 * Runs `fn` in a span `stage <name>` when a tracer is given: the context's log lines and warnings
 * become span events, a failure sets the error status. Without a tracer, `fn` runs as it is.
 */
export async function withStageSpan<T>(
  stageName: StageName,
  runId: string,
  ctx: StageContext,
  fn: (ctx: StageContext, span: Span | undefined) => Promise<T>,
): Promise<T> {
  const tracer = ctx.tracer;
  if (!tracer) return fn(ctx, undefined);
  const attributes: Attributes = { 'ftune.run_id': runId, 'ftune.stage': stageName, ...ctx.spanAttributes };
  return tracer.startActiveSpan(`stage ${stageName}`, { attributes }, async (span) => {
    const traced: StageContext = {
      ...ctx,
      log(message, fields) {
        span.addEvent('log', { message });
        ctx.log(message, fields);
      },
      warn(message, fields) {
        span.addEvent('warning', { message });
        (ctx.warn ?? ctx.log)(message, fields);
      },
    };
    try {
      const result = await fn(traced, span);
      span.setStatus({ code: SpanStatusCode.OK });
      return result;
    } catch (error) {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** Runs `stage` on `event` once per run: re-emits the recorded result when the stage is already complete. */
export async function runStage<I extends Topic, O extends Topic>(
  stage: Stage<I, O>,
  event: EventByTopic[I],
  ctx: StageContext,
  options: StageRunOptions = {},
): Promise<StageExecution<O>> {
  const began = Date.now();
  const notice = (status: StageNotice['status'], extra: Partial<StageNotice> = {}) =>
    ctx.onStage?.({ stage: stage.name, runId: event.runId, status, ...extra });
  notice('started');
  let lease: Lease | undefined;
  try {
    const input = validateEvent(stage.consumes, event);
    // one host at a time does a run's stage; a second waits, then finds it complete
    lease = await acquireLease(ctx.store, input.runId, stage.name, {
      signal: ctx.signal,
      onWait: (holder) => ctx.log(`${stage.name} is running elsewhere (${holder}); waiting for it`),
    });
    const { event: out, reused } = await withStageSpan(stage.name, input.runId, ctx, async (c, span) => {
      span?.setAttributes(eventAttributes(input));
      const done = c.store.completion(input.runId, stage.name);
      if (done?.outputs.event) {
        const again = validateEvent(stage.emits, {
          ...(done.outputs.event as object),
          ...newEnvelope(input.runId),
        });
        span?.setAttributes({ reused: true, ...eventAttributes(again) });
        return { event: again, reused: true };
      }
      if (!options.resume) c.store.resetStage(input.runId, stage.name);
      const made = validateEvent(stage.emits, await stage.handle(input, c));
      c.store.markComplete(input.runId, stage.name, { event: made });
      span?.setAttributes({ reused: false, ...eventAttributes(made) });
      return { event: made, reused: false };
    });
    const seconds = (Date.now() - began) / 1000;
    if (!reused) ctx.metrics?.stageDone(stage.name, seconds, out);
    notice(reused ? 'skipped' : 'done', { seconds });
    return { event: out, reused, seconds };
  } catch (error) {
    // a stage stopped on purpose (cancel, shutdown) has not failed
    if (!ctx.signal?.aborted) ctx.metrics?.stageFailed(stage.name);
    notice('failed', { seconds: (Date.now() - began) / 1000, error });
    throw error;
  } finally {
    lease?.release();
  }
}
