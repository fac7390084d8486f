// A pipeline stage: a stateless handler `(event, artifact store) → artifacts + next event`. The same
// stages run on the in-process bus (`ftune run`, `npm start`) and behind Kafka (the services).
// `runStage` makes every stage idempotent: a stage whose completion marker exists is not redone,
// its recorded output event is re-emitted; an incomplete stage folder is cleared and redone.
import type { Tracer } from '@opentelemetry/api';
import { newEnvelope, validateEvent, type EventByTopic, type StageName, type Topic } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';

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
  /** Progress of long work; throttling is the receiver's business. */
  progress?(p: StageProgress): void;
  /** Events a stage emits while it works (training.progress.v1). */
  emit?<T extends Topic>(topic: T, event: EventByTopic[T]): Promise<void>;
  /** Cancels the work (CancelRun / CancelJob / shutdown). */
  signal?: AbortSignal;
  tracer?: Tracer;
}

export interface Stage<I extends Topic = Topic, O extends Topic = Topic> {
  readonly name: StageName;
  readonly consumes: I;
  readonly emits: O;
  handle(event: EventByTopic[I], ctx: StageContext): Promise<EventByTopic[O]>;
}

/** Runs `stage` on `event` once per run: re-emits the recorded result when the stage is already complete. */
export async function runStage<I extends Topic, O extends Topic>(
  stage: Stage<I, O>,
  event: EventByTopic[I],
  ctx: StageContext,
): Promise<{ event: EventByTopic[O]; reused: boolean }> {
  const input = validateEvent(stage.consumes, event);
  const done = ctx.store.completion(input.runId, stage.name);
  if (done?.outputs.event) {
    return {
      event: validateEvent(stage.emits, { ...(done.outputs.event as object), ...newEnvelope(input.runId) }),
      reused: true,
    };
  }
  ctx.store.resetStage(input.runId, stage.name);
  const out = validateEvent(stage.emits, await stage.handle(input, ctx));
  ctx.store.markComplete(input.runId, stage.name, { event: out });
  return { event: out, reused: false };
}
