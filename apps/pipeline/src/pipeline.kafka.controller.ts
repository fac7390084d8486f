// Every run event → the run's record (the read model WatchRun and GetRun answer from), and into the run's
// experiment tracking (MLflow when configured, TensorBoard files in the run folder). Once a run has succeeded
// with every stage's output in, its report.html is written from the record (@ftune/pipeline reportServiceRun) and
// logged into the run's MLflow run.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { ALL_TOPICS, type EventByTopic, type Topic } from '@ftune/contracts';
import { reportServiceRun, RunRecords, RunTrackings } from '@ftune/pipeline';
import type { ArtifactStore } from '@ftune/storage';
import { LOGGER, OnEvent, STORE, type EventMeta, type Logger } from '@ftune/transport';

@Injectable()
export class PipelineKafkaController implements OnModuleDestroy {
  constructor(
    @Inject(RunRecords) private readonly records: RunRecords,
    @Inject(RunTrackings) private readonly trackings: RunTrackings,
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @OnEvent(...ALL_TOPICS)
  async onRunEvent(event: EventByTopic[Topic], meta: EventMeta): Promise<void> {
    this.records.apply(meta.topic, event);
    this.trackings.apply(meta.topic, event, trace.getActiveSpan()?.spanContext().traceId);
    try {
      const report = reportServiceRun(this.store, this.records, event.runId);
      if (report) this.trackings.report(event.runId, report);
    } catch (error) {
      // the report is a view of the run: the run's record and its events stand without it
      this.log.warn('run report not written', {
        runId: event.runId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Flushes what the open runs' trackers hold before the service stops. */
  async onModuleDestroy(): Promise<void> {
    await this.trackings.close();
  }
}
