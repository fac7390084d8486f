// Every run event → the run's record (the read model WatchRun and GetRun answer from), and into the run's
// experiment tracking (MLflow when configured, TensorBoard files in the run folder).
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { RunTrackings } from '@ftune/pipeline';
import { ALL_TOPICS, type EventByTopic, type Topic } from '@ftune/contracts';
import { RunRecords } from '@ftune/pipeline';
import { OnEvent, type EventMeta } from '@ftune/transport';

@Injectable()
export class PipelineKafkaController implements OnModuleDestroy {
  constructor(
    @Inject(RunRecords) private readonly records: RunRecords,
    @Inject(RunTrackings) private readonly trackings: RunTrackings,
  ) {}

  @OnEvent(...ALL_TOPICS)
  async onRunEvent(event: EventByTopic[Topic], meta: EventMeta): Promise<void> {
    this.records.apply(meta.topic, event);
    this.trackings.apply(meta.topic, event, trace.getActiveSpan()?.spanContext().traceId);
  }

  /** Flushes what the open runs' trackers hold before the service stops. */
  async onModuleDestroy(): Promise<void> {
    await this.trackings.close();
  }
}
