// `ftune train-job --run-id X --resume`: one attempt of a run's training job, as the train service's
// job runner starts it (a child process locally, a Kubernetes Job in the cluster). Reads the job the
// train service recorded in the artifact store, resumes from its last checkpoint, emits progress and
// model.trained.v1 to Kafka. Configuration from the environment, as the services.
import type { Command } from 'commander';
import { ArtifactStore, checkSegment } from '@ftune/storage';
import { lib } from './libs';

export function registerTrainJob(program: Command): void {
  program
    .command('train-job')
    .description("run a recorded training job (started by the train service's job runner)")
    .requiredOption('--run-id <id>', 'the run whose job to run')
    .option('--resume', 'resume from the last checkpoint (always on: a job only ever resumes)')
    .action(async (flags: { runId: string }) => {
      const runId = checkSegment(flags.runId);
      const { createKafka, createLogger, EventProducer, loadServiceConfig } = lib.transport();
      const { runTrainJobAttempt } = lib.trainJobs();
      const { describeChoice, initBackend } = lib.compute();
      const config = loadServiceConfig('train', process.env, { requireAuth: false });
      const log = createLogger({ service: 'train-job', runId });
      const choice = await initBackend();
      log.info(describeChoice(choice)[0]);
      const producer = new EventProducer(
        createKafka(config.kafka, 'ftune-train-job', log),
        config.kafka.topicPrefix,
      );
      let code = 1;
      try {
        code = await runTrainJobAttempt(runId, {
          store: new ArtifactStore(config.artifactsDir),
          producer,
          log,
          backend: typeof choice.info.backend === 'string' ? choice.info.backend : undefined,
        });
      } finally {
        await producer.close();
      }
      // the job's exit status tells the runner whether it ended (0) or must be resumed
      if (code !== 0) process.exit(code);
    });
}
