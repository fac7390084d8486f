// The body of one training job attempt (`ftune train-job --run-id X --resume`): runs the train stage of
// @ftune/pipeline in its stage wrapper (runStage: completion marker, span, metrics) for the recorded job
// outside any Kafka message, resuming from the stage folder's last checkpoint, reports progress into
// the job record and as training.progress.v1, then emits model.trained.v1. SIGTERM/SIGINT and a
// cancelled run stop it after a checkpoint. A job whose stage is already complete only re-emits its result.
import { context, SpanStatusCode } from '@opentelemetry/api';
import { newEnvelope, Topics, type EventByTopic, type Topic } from '@ftune/contracts';
import {
  attachStageTracker,
  cancellation,
  progressOf,
  runStage,
  trainStage,
  type StageContext,
} from '@ftune/pipeline';
import {
  activeTelemetry,
  contextFromEnv,
  METRIC_ATTRIBUTES,
  recordTrainingProgress,
  stageMetrics,
} from '@ftune/telemetry';
import type { ArtifactStore } from '@ftune/storage';
import { UserError } from '@ftune/common';
import {
  errorText,
  serviceInstruments,
  serviceTracer,
  type EventProducer,
  type Logger,
} from '@ftune/transport';
import { readJob, updateJob } from './train-jobs';

export interface TrainJobDeps {
  store: ArtifactStore;
  producer: EventProducer;
  log: Logger;
  /** The compute backend the job runs on (a tag of the run's MLflow run). */
  backend?: string;
  /** Attempts at publishing model.trained before the attempt ends, to be run again (default 5). */
  publishAttempts?: number;
}

/**
 * Runs the job of `runId`; resolves with the process exit code. The attempt is a span `train-job <id>`
 * in the trace the train service passed (TRACEPARENT), flushed before this resolves.
 */
export async function runTrainJobAttempt(runId: string, deps: TrainJobDeps): Promise<number> {
  const attributes = { [METRIC_ATTRIBUTES.runId]: runId, [METRIC_ATTRIBUTES.stage]: 'train' };
  return context.with(contextFromEnv(), () =>
    serviceTracer().startActiveSpan(`train-job ${runId}`, { attributes }, async (span) => {
      try {
        const code = await trainJobAttempt(runId, deps);
        span.setAttribute('exit_code', code);
        if (code === 1) span.setStatus({ code: SpanStatusCode.ERROR, message: 'training failed' });
        return code;
      } finally {
        span.end();
        await activeTelemetry()
          .flush()
          .catch(() => undefined);
      }
    }),
  );
}

async function trainJobAttempt(runId: string, deps: TrainJobDeps): Promise<number> {
  const { store, producer } = deps;
  const log = deps.log.child({ runId, stage: 'train' });
  const job = readJob(store, runId);
  if (!job) throw new UserError(`run ${runId} has no training job (runs/${runId}/train-job.json)`);
  if (job.state === 'cancelled' || job.state === 'failed') {
    log.info(`job is ${job.state}; nothing to do`);
    return 0;
  }

  const abort = new AbortController();
  let cancelReason: string | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('stopping after a checkpoint', { signal });
    abort.abort();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  const poll = setInterval(() => {
    const c =
      cancellation(store, runId) ??
      (readJob(store, runId)?.state === 'cancelled' ? { reason: 'job cancelled' } : undefined);
    if (c && !abort.signal.aborted) {
      cancelReason = c.reason;
      abort.abort();
    }
  }, 1000);

  let lastWrite = 0;
  let last: { step: number; at: number } | undefined;
  // the job logs its steps into the run's MLflow run and its own TensorBoard file, from where it runs
  const tracker = attachStageTracker(
    store,
    runId,
    deps.backend ? { 'ftune.backend': deps.backend } : {},
    (message) => log.warn(message),
  );
  const ctx: StageContext = {
    tracker,
    store,
    log: (message, fields) => log.info(message, fields),
    warn: (message, fields) => log.warn(message, fields),
    signal: abort.signal,
    tracer: serviceTracer(),
    metrics: stageMetrics(serviceInstruments()),
    onStage: ({ status }) => {
      if (status === 'started') log.info('training', { attempt: job.attempt });
      if (status === 'skipped') log.info('train stage already complete; result re-emitted');
    },
    emit: async <T extends Topic>(topic: T, event: EventByTopic[T]) => {
      if (topic === Topics.trainingProgress) {
        const p = event as EventByTopic[typeof Topics.trainingProgress];
        const now = Date.now();
        const stepSeconds =
          last && p.step > last.step ? (now - last.at) / 1000 / (p.step - last.step) : undefined;
        last = { step: p.step, at: now };
        recordTrainingProgress(
          serviceInstruments(),
          { ...p, stepSeconds },
          { [METRIC_ATTRIBUTES.runId]: runId },
        );
        if (now - lastWrite > 1000 || p.step === p.totalSteps) {
          lastWrite = now;
          updateJob(store, runId, (j) => {
            j.progress = progressOf(p);
          });
        }
        // progress is news, not state (the job record keeps it): tried a few times, never fatal
        void publishPatiently(producer, topic, event, 3).catch((error: unknown) =>
          log.warn('training progress not published', { step: p.step, error: errorText(error) }),
        );
        return;
      }
      await producer.publish(topic, event);
    },
  };

  try {
    updateJob(store, runId, (j) => {
      j.state = 'running';
      j.pid = process.pid;
    });
    // the stage folder keeps the last checkpoint of an earlier attempt: resume from it
    const { event, reused } = await runStage(trainStage, job.input, ctx, { resume: true });
    if (abort.signal.aborted) return stopped(store, runId, cancelReason, log);
    try {
      await publishPatiently(producer, Topics.modelTrained, event, deps.publishAttempts ?? 5);
    } catch (error) {
      // the model is complete (its marker is written): the next attempt only re-emits it
      log.error('model.trained not published; the job is retried', { error: errorText(error) });
      updateJob(store, runId, (j) => {
        j.pid = undefined;
      });
      return EXIT_TEMPFAIL;
    }
    markSucceeded(store, runId, event);
    if (!reused)
      log.info('training finished', {
        modelDir: event.modelDir,
        steps: event.steps,
        finalLoss: event.finalLoss,
      });
    return 0;
  } catch (error) {
    if (abort.signal.aborted) return stopped(store, runId, cancelReason, log);
    const reason = `train: ${errorText(error)}`;
    updateJob(store, runId, (j) => {
      j.state = 'failed';
      j.error = reason;
    });
    await producer.publish(Topics.runFailed, { ...newEnvelope(runId), stage: 'train', reason });
    log.error('training failed', { error: reason });
    return 1;
  } finally {
    clearInterval(poll);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await tracker?.close();
  }
}

/** Exit status of an attempt whose work is done but whose result is not yet published (EX_TEMPFAIL). */
export const EXIT_TEMPFAIL = 75;

/** Publishes, trying up to `attempts` times with doubling pauses from 1 s. */
async function publishPatiently<T extends Topic>(
  producer: EventProducer,
  topic: T,
  event: EventByTopic[T],
  attempts: number,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await producer.publish(topic, event);
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((done) => setTimeout(done, 1000 * 2 ** (attempt - 1)));
    }
  }
}

function markSucceeded(
  store: ArtifactStore,
  runId: string,
  out: EventByTopic[typeof Topics.modelTrained],
): void {
  updateJob(store, runId, (j) => {
    j.state = 'succeeded';
    j.modelDir = out.modelDir;
    j.metricsPath = out.metricsPath;
    j.error = '';
  });
}

/** Stopped by a signal (the runner or a restart resumes it) or by cancellation (final). */
function stopped(store: ArtifactStore, runId: string, cancelReason: string | undefined, log: Logger): number {
  updateJob(store, runId, (j) => {
    if (cancelReason) {
      j.state = 'cancelled';
      j.error = cancelReason;
    }
    j.pid = undefined;
  });
  log.info(cancelReason ? 'training cancelled' : 'training stopped; it resumes from its last checkpoint');
  return cancelReason ? 0 : 143;
}
