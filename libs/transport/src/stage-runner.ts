// Runs one pipeline stage (from @ftune/pipeline) for one Kafka event: skips cancelled runs, runs the
// stage through `runStage` (idempotent: a redelivered event re-emits the recorded output without redoing
// work), then publishes the output event keyed by run id. Only after that publish is acknowledged does
// the consumer commit the input's offset.
import { runStage, type Stage, type StageContext } from '@ftune/pipeline';
import type { EventByTopic, Topic } from '@ftune/contracts';
import { METRIC_ATTRIBUTES, recordIngestCounts } from '@ftune/telemetry';
import type { ArtifactStore } from '@ftune/storage';
import type { EventMeta } from './consumer';
import type { EventProducer } from './kafka';
import type { Logger } from './log';
import { cancellation } from './runs';
import { serviceInstruments, serviceTracer } from './telemetry';

export class StageRunner {
  constructor(
    readonly store: ArtifactStore,
    readonly producer: EventProducer,
    readonly log: Logger,
  ) {}

  /** A StageContext for `runId` whose logs carry the run id and stage, and whose emits go to Kafka. */
  context(runId: string, stage: string, signal?: AbortSignal): StageContext {
    const log = this.log.child({ runId, stage });
    return {
      store: this.store,
      log: (message, fields) => log.info(message, fields),
      warn: (message, fields) => log.warn(message, fields),
      tracer: serviceTracer(),
      emit: (topic, event) => this.producer.publish(topic, event),
      signal,
    };
  }

  async run<I extends Topic, O extends Topic>(
    stage: Stage<I, O>,
    event: EventByTopic[I],
    meta: Pick<EventMeta, 'signal' | 'attempt'>,
  ): Promise<EventByTopic[O] | undefined> {
    const log = this.log.child({ runId: event.runId, stage: stage.name });
    const cancelled = cancellation(this.store, event.runId);
    if (cancelled) {
      log.info('run cancelled; stage not started', { reason: cancelled.reason });
      return undefined;
    }
    const started = Date.now();
    log.info('stage started', { attempt: meta.attempt });
    const m = serviceInstruments();
    const attributes = { [METRIC_ATTRIBUTES.stage]: stage.name };
    let result: Awaited<ReturnType<typeof runStage<I, O>>>;
    try {
      result = await runStage(stage, event, this.context(event.runId, stage.name, meta.signal));
    } catch (error) {
      m.stageFailures.add(1, attributes);
      throw error;
    }
    const { event: out, reused } = result;
    if (!reused) {
      m.stageDuration.record((Date.now() - started) / 1000, attributes);
      if (stage.name === 'ingest') recordIngestCounts(m, out);
    }
    await this.producer.publish(stage.emits, out);
    log.info(reused ? 'stage already complete; output re-emitted' : 'stage completed', {
      ms: Date.now() - started,
      emitted: stage.emits,
    });
    return out;
  }
}
