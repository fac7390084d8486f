// The train service's side of training jobs: record a job for a run and hand it to the job runner,
// resume unfinished jobs when the service starts, stop the children it started when it stops.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { newEnvelope, Topics, validateEvent, type DatasetTokenized } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import { JOB_RUNNER, recordJob, type JobRecord, type JobRunner } from '@ftune/train-jobs';
import { PRODUCER, STORE, type EventProducer } from '@ftune/transport';

@Injectable()
export class TrainJobs implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(PRODUCER) private readonly producer: EventProducer,
    @Inject(JOB_RUNNER) private readonly runner: JobRunner,
  ) {}

  onApplicationBootstrap(): void {
    // the runner logs and retries what it cannot resume; the service does not wait for it
    void this.runner.resumeAll();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stopAll();
  }

  /**
   * Records and starts the run's job; a run whose training is complete re-emits model.trained instead.
   * Rejects when the job could not be started nor its run failed, so that the message is retried.
   */
  async start(input: DatasetTokenized): Promise<{ job?: JobRecord; created: boolean }> {
    const done = this.store.completion(input.runId, 'train');
    if (done?.outputs.event) {
      await this.producer.publish(
        Topics.modelTrained,
        validateEvent(Topics.modelTrained, {
          ...(done.outputs.event as object),
          ...newEnvelope(input.runId),
        }),
      );
    }
    const { job, created } = recordJob(this.store, input);
    if (!done) await this.runner.ensure(input.runId);
    return { job, created };
  }

  /** Marks the job cancelled at once; stopping its work goes on in the background. */
  cancel(runId: string, reason: string): void {
    void this.runner.cancel(runId, reason);
  }
}
