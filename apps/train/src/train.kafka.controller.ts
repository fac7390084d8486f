// dataset.tokenized.v1 → a training job (recorded and started, or its run failed, before the offset is
// committed; the job emits training.progress.v1 and model.trained.v1 itself).
import { Inject, Injectable } from '@nestjs/common';
import { Topics, type DatasetTokenized } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import { cancellation } from '@ftune/pipeline';
import { LOGGER, OnEvent, STORE, type Logger } from '@ftune/transport';
import { TrainJobs } from './train-jobs.service';

@Injectable()
export class TrainKafkaController {
  constructor(
    @Inject(TrainJobs) private readonly jobs: TrainJobs,
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  @OnEvent(Topics.datasetTokenized)
  async onDatasetTokenized(event: DatasetTokenized): Promise<void> {
    if (cancellation(this.store, event.runId)) {
      this.log.info('run cancelled; training not started', { runId: event.runId });
      return;
    }
    const { created } = await this.jobs.start(event);
    this.log.info(created ? 'training job recorded' : 'training job exists', { runId: event.runId });
  }
}
