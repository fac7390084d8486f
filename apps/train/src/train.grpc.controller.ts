// TrainingService over the job records of the artifact store: StartTraining records and starts a job
// (idempotent per run), GetJob and WatchJob read its record, CancelJob stops it.
import { Controller, Inject } from '@nestjs/common';
import { Observable } from 'rxjs';
import { newEnvelope } from '@ftune/contracts';
import { parseRemoteConfig, runConfigPath } from '@ftune/pipeline';
import { train } from '@ftune/proto';
import type { ArtifactStore } from '@ftune/storage';
import { jobFinished, readJob, runIdOfJob, toTrainingProgress, type JobRecord } from '@ftune/train-jobs';
import { notFound, STORE } from '@ftune/transport';
import { toJob } from './job-mapping';
import { TrainJobs } from './train-jobs.service';

@Controller()
@train.TrainingServiceControllerMethods()
export class TrainingGrpcController implements train.TrainingServiceController {
  constructor(
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(TrainJobs) private readonly jobs: TrainJobs,
  ) {}

  async startTraining(request: train.StartTrainingRequest): Promise<train.StartTrainingResponse> {
    const { config, runId } = parseRemoteConfig(request.config, this.store, { runId: request.runId });
    this.store.path(request.datasetDir);
    this.store.path(request.tokenizedDir);
    if (!this.store.exists(runConfigPath(runId))) this.store.writeJson(runConfigPath(runId), config);
    const { job, created } = await this.jobs.start({
      ...newEnvelope(runId),
      datasetDir: request.datasetDir,
      tokenizedDir: request.tokenizedDir,
      tokens: 0,
    });
    return { job: job && toJob(job), created };
  }

  getJob(request: train.GetJobRequest): train.GetJobResponse {
    return { job: toJob(this.find(request.jobId)) };
  }

  watchJob(request: train.WatchJobRequest): Observable<train.WatchJobResponse> {
    const runId = this.find(request.jobId).runId;
    return new Observable<train.WatchJobResponse>((sub) => {
      let last = '';
      let lastStep = -1;
      const tick = () => {
        const job = readJob(this.store, runId);
        if (!job || job.updatedAt === last) return;
        last = job.updatedAt;
        const step = job.progress?.step ?? -1;
        sub.next({
          job: toJob(job),
          progress: step !== lastStep && job.progress ? toTrainingProgress(job.progress) : undefined,
        });
        lastStep = step;
        if (jobFinished(job)) sub.complete();
      };
      tick();
      const timer = setInterval(tick, 500);
      return () => clearInterval(timer);
    });
  }

  cancelJob(request: train.CancelJobRequest): train.CancelJobResponse {
    const job = this.find(request.jobId);
    this.jobs.cancel(job.runId, request.reason || 'cancelled');
    return { job: toJob(readJob(this.store, job.runId) ?? job) };
  }

  private find(jobId: string): JobRecord {
    const job = readJob(this.store, runIdOfJob(jobId));
    if (!job) throw notFound(`job ${jobId}`);
    return job;
  }
}
