// Runs one stage for one event delivered by a message bus (the services' Kafka consumers): skips a
// cancelled run, runs the stage through `runStage` (idempotent: a redelivered event re-emits the recorded
// output without redoing the work), then publishes the output event. The caller acknowledges its input
// (commits the Kafka offset) only after that publish resolved.
import type { Tracer } from '@opentelemetry/api';
import type { EventByTopic, Topic } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import { runStage, type Stage, type StageContext, type StageMetrics } from '../stage';
import { cancellation } from './cancellation';

type Fields = Record<string, unknown>;

/** The structured logger of the host (the services' JSON lines). */
export interface StageLog {
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  child(fields: Fields): StageLog;
}

/** Sends an event to its topic; resolves once the bus acknowledged it. */
export type Publish = <T extends Topic>(topic: T, event: EventByTopic[T]) => Promise<void>;

export interface StageRunnerDeps {
  store: ArtifactStore;
  publish: Publish;
  log: StageLog;
  tracer?: Tracer;
  metrics?: () => StageMetrics;
}

export class StageRunner {
  constructor(private readonly deps: StageRunnerDeps) {}

  get store(): ArtifactStore {
    return this.deps.store;
  }

  /** A StageContext for `runId` whose logs carry the run id and stage, and whose emits go to the bus. */
  context(runId: string, stage: string, signal?: AbortSignal, attempt?: number): StageContext {
    const log = this.deps.log.child({ runId, stage });
    return {
      store: this.deps.store,
      log: (message, fields) => log.info(message, fields),
      warn: (message, fields) => log.warn(message, fields),
      tracer: this.deps.tracer,
      metrics: this.deps.metrics?.(),
      emit: (topic, event) => this.deps.publish(topic, event),
      onStage: ({ status, seconds }) => {
        if (status === 'started') log.info('stage started', { attempt });
        else if (status === 'done') log.info('stage completed', { ms: Math.round((seconds ?? 0) * 1000) });
        else if (status === 'skipped') log.info('stage already complete; output re-emitted');
      },
      signal,
    };
  }

  /** Runs `stage` for `event` and publishes its output; undefined when the run was cancelled. */
  async run<I extends Topic, O extends Topic>(
    stage: Stage<I, O>,
    event: EventByTopic[I],
    meta: { signal?: AbortSignal; attempt?: number },
  ): Promise<EventByTopic[O] | undefined> {
    const cancelled = cancellation(this.deps.store, event.runId);
    if (cancelled) {
      this.deps.log
        .child({ runId: event.runId, stage: stage.name })
        .info('run cancelled; stage not started', { reason: cancelled.reason });
      return undefined;
    }
    const ctx = this.context(event.runId, stage.name, meta.signal, meta.attempt);
    const { event: out } = await runStage(stage, event, ctx);
    await this.deps.publish(stage.emits, out);
    return out;
  }
}
