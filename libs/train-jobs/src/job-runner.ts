// The local job runner: each training job is a child process (`ftune train-job --run-id X --resume`).
// A job that dies before finishing (killed, crashed) is started again, up to `maxAttempts` times, and
// resumes from its last checkpoint; after that the run is marked failed. A job left running by a
// previous service process is adopted (watched by pid) rather than started twice. Cancel stops it
// with SIGTERM (the trainer writes a checkpoint and exits); service shutdown stops the children it
// started, which resume when the service starts again: a stop the runner asked for is no failure and
// does not use up one of the `maxAttempts`.
import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '@ftune/common';
import { newEnvelope, Topics } from '@ftune/contracts';
import { cancellation } from '@ftune/pipeline';
import type { ArtifactStore } from '@ftune/storage';
import { traceEnv } from '@ftune/telemetry';
import type { EventProducer, Logger } from '@ftune/transport';
import { jobFinished, cancelJobRecord, processAlive, readJob, updateJob, type JobRecord } from './train-jobs';

export interface JobRunnerOptions {
  /** argv of the job without the run id, e.g. [node, ftune.js, 'train-job']. */
  command?: string[];
  maxAttempts?: number;
  restartDelayMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * `ftune train-job` through the CLI entry that `ftune serve` names in FTUNE_CLI_ENTRY (the @ftune/cli
 * package's `bin/ftune.js` export): the CLI starts the services, so it tells them where it is.
 */
export function defaultJobCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const entry = env.FTUNE_CLI_ENTRY;
  if (!entry)
    throw new UserError('FTUNE_CLI_ENTRY is not set: start the train service with `ftune serve` (or set it)');
  return [process.execPath, entry, 'train-job'];
}

/** Starts, cancels and resumes training jobs (a child process each here; a Kubernetes Job in ./k8s-job-runner.ts). */
export interface JobRunner {
  /** Starts (or finds) the run's job; rejects when that could not be settled, so the caller retries. */
  ensure(runId: string): Promise<void>;
  /** Picks up the jobs a previous service process left; resolves once they are watched. */
  resumeAll(): Promise<void>;
  cancel(runId: string, reason: string): Promise<void>;
  stopAll(): Promise<void>;
}

/**
 * Fails the run's job for good (both runners): publishes run.failed with the reason, then marks the
 * record failed. Rejects when the event could not be published, leaving the record unfinished so
 * that the failure is reported again.
 */
export async function failJob(
  store: ArtifactStore,
  producer: EventProducer,
  log: Logger,
  runId: string,
  reason: string,
): Promise<void> {
  log.error('training job failed', { runId, reason });
  await producer.publish(Topics.runFailed, { ...newEnvelope(runId), stage: 'train', reason });
  updateJob(store, runId, (j) => {
    j.state = 'failed';
    j.error = reason;
  });
}

/** Attempts that ended on their own: started, less those the runner stopped. */
export const failedAttempts = (job: JobRecord) => job.attempt - (job.runnerStops ?? 0);

export class ProcessJobRunner implements JobRunner {
  private readonly children = new Map<string, ChildProcess>();
  private readonly watching = new Set<string>();
  private stopping = false;
  private readonly command: string[];
  private readonly maxAttempts: number;
  private readonly restartDelayMs: number;

  constructor(
    private readonly store: ArtifactStore,
    private readonly producer: EventProducer,
    private readonly log: Logger,
    private readonly options: JobRunnerOptions = {},
  ) {
    this.command = options.command ?? defaultJobCommand();
    this.maxAttempts = options.maxAttempts ?? 3;
    this.restartDelayMs = options.restartDelayMs ?? 1000;
  }

  /** Makes sure the run's job is running unless it is finished: starts, restarts or adopts it. */
  async ensure(runId: string): Promise<void> {
    if (this.stopping || this.children.has(runId) || this.watching.has(runId)) return;
    const job = readJob(this.store, runId);
    if (!job || jobFinished(job)) return;
    if (job.pid && processAlive(job.pid)) {
      this.adopt(runId, job.pid);
      return;
    }
    if (failedAttempts(job) >= this.maxAttempts) {
      await this.fail(runId, `training job died ${failedAttempts(job)} times`);
      return;
    }
    this.spawnAttempt(runId);
  }

  /** Jobs a previous service process left unfinished. */
  async resumeAll(): Promise<void> {
    for (const runId of this.store.listRuns()) {
      const job = readJob(this.store, runId);
      if (job && !jobFinished(job))
        await this.ensure(runId).catch((error: unknown) =>
          this.log.error('training job not resumed', { runId, error }),
        );
    }
  }

  async cancel(runId: string, reason: string): Promise<void> {
    const job = cancelJobRecord(this.store, runId, reason);
    if (!job) return;
    const pid = this.children.get(runId)?.pid ?? job.pid;
    try {
      if (pid && processAlive(pid)) process.kill(pid, 'SIGTERM');
    } catch (error) {
      this.log.warn('training job not signalled', { runId, pid, error }); // it ended meanwhile
    }
  }

  /**
   * Stops the children this process started (they checkpoint and exit) and waits for them; the attempts
   * it stopped are recorded as the runner's, not counted against `maxAttempts`.
   */
  async stopAll(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.entries()].map(
      ([runId, child]) =>
        new Promise<void>((done) => {
          if (child.exitCode !== null || child.signalCode !== null) return done();
          child.once('exit', () => {
            const job = readJob(this.store, runId);
            if (job && !jobFinished(job))
              updateJob(this.store, runId, (j) => {
                j.runnerStops = (j.runnerStops ?? 0) + 1;
              });
            done();
          });
          child.kill('SIGTERM');
          setTimeout(() => {
            child.kill('SIGKILL');
            done();
          }, timeoutMs).unref();
        }),
    );
    await Promise.all(exits);
  }

  private spawnAttempt(runId: string): void {
    const job = updateJob(this.store, runId, (j) => {
      j.attempt += 1;
      j.state = 'running';
      j.pid = undefined;
      // a job recorded outside any trace takes the one this attempt starts in, if any
      j.traceparent ??= traceEnv().TRACEPARENT;
    });
    const [cmd, ...args] = this.command;
    const child = spawn(cmd, [...args, '--run-id', runId, '--resume'], {
      env: {
        ...process.env,
        OTEL_SERVICE_NAME: 'ftune-train-job',
        ...(job.traceparent ? { TRACEPARENT: job.traceparent } : {}),
        ...this.options.env,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.children.set(runId, child);
    updateJob(this.store, runId, (j) => {
      j.pid = child.pid;
    });
    this.log.info('training job started', { runId, attempt: job.attempt, pid: child.pid });
    child.once('exit', (code, signal) => {
      this.children.delete(runId);
      this.afterExit(runId, `exit code ${code ?? 'none'}${signal ? `, signal ${signal}` : ''}`);
    });
  }

  private adopt(runId: string, pid: number): void {
    this.watching.add(runId);
    this.log.info('adopted a running training job', { runId, pid });
    const timer = setInterval(() => {
      if (processAlive(pid)) return;
      clearInterval(timer);
      this.watching.delete(runId);
      this.afterExit(runId, 'the adopted process ended');
    }, 500);
    timer.unref();
  }

  private afterExit(runId: string, how: string): void {
    const job = readJob(this.store, runId);
    if (!job || jobFinished(job) || this.stopping) return;
    const cancelled = cancellation(this.store, runId);
    if (cancelled) {
      updateJob(this.store, runId, (j) => {
        j.state = 'cancelled';
        j.error = cancelled.reason;
      });
      return;
    }
    this.log.warn('training job ended before finishing', { runId, attempt: job.attempt, how });
    const failed = failedAttempts(job);
    const retry =
      failed >= this.maxAttempts
        ? () => this.fail(runId, `training job ended before finishing (${how}) ${failed} times`)
        : () => this.ensure(runId);
    setTimeout(
      () =>
        void retry().catch((error: unknown) =>
          this.log.error('training job not restarted', { runId, error }),
        ),
      failed >= this.maxAttempts ? 0 : this.restartDelayMs,
    ).unref();
  }

  private fail(runId: string, reason: string): Promise<void> {
    return failJob(this.store, this.producer, this.log, runId, reason);
  }
}
