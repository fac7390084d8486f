// The experiment tracking of one ftune run: the same scalars to TensorBoard event files in the run
// folder (<dir>/tensorboard/) and, when MLflow tracking is on, to one MLflow run with the params, tags
// and artifacts besides. Every method returns at once and never throws; close() flushes.
// A process that runs only part of a run (the train job of the services) opens the tracker of the same
// folder with role 'attach': it logs into the MLflow run the owner created (recorded in
// <dir>/mlflow-run.json) and writes its own event file beside the owner's (TensorBoard merges them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MlflowRunStatus } from './mlflow/client';
import { MlflowRunLogger, type MlflowRunRef } from './mlflow/run-logger';
import type { MlflowSettings } from './mlflow/settings';
import { TensorBoardWriter } from './tensorboard/writer';

export const MLFLOW_RUN_FILE = 'mlflow-run.json';
export const TENSORBOARD_DIR = 'tensorboard';

export interface RunTrackerOptions {
  /** The run folder (or the output folder of a lone training run). */
  dir: string;
  /** The MLflow run name: the ftune run id. */
  runName: string;
  /** Event files under <dir>/tensorboard/. */
  tensorboard: boolean;
  /** MLflow tracking, or null for none. */
  mlflow: MlflowSettings | null;
  /** 'owner' creates the MLflow run (at once, so the ref is on disk early) and closes it with a status. */
  role: 'owner' | 'attach';
  /** Tags set when the MLflow run is created. */
  tags?: Record<string, string>;
  warn(message: string): void;
  /** Overrides for tests: how long close() retries a server that is down, and the flush interval. */
  closeTimeoutMs?: number;
  flushIntervalMs?: number;
}

export type RunEndStatus = Exclude<MlflowRunStatus, 'RUNNING'>;

export class RunTracker {
  private readonly tensorboard: TensorBoardWriter | null;
  private readonly mlflow: MlflowRunLogger | null;

  constructor(private readonly options: RunTrackerOptions) {
    this.tensorboard = options.tensorboard ? this.openTensorBoard() : null;
    this.mlflow = options.mlflow ? this.openMlflow(options.mlflow) : null;
  }

  /** The MLflow run once it exists (for the run record and logs). */
  get mlflowRun(): MlflowRunRef | null {
    return this.mlflow?.run ?? null;
  }

  get tensorboardFile(): string | null {
    return this.tensorboard?.file ?? null;
  }

  params(values: Record<string, string | number | boolean>): void {
    this.mlflow?.logParams(values);
  }

  tags(values: Record<string, string>): void {
    this.mlflow?.setTags(values);
  }

  /** Scalars at one step, to both trackers; non-finite values go to TensorBoard and MLflow alike. */
  metrics(step: number, values: Record<string, number>, timestamp = Date.now()): void {
    try {
      this.tensorboard?.scalars(step, values, timestamp);
    } catch (e) {
      this.options.warn(`TensorBoard: cannot write ${this.tensorboard?.file}: ${(e as Error).message}`);
    }
    this.mlflow?.logMetrics(step, values, timestamp);
  }

  /** A file of the run as an MLflow artifact (read when it is uploaded). */
  artifact(file: string, name = path.basename(file)): void {
    this.mlflow?.logArtifact(file, name);
  }

  flush(): Promise<boolean> {
    return this.mlflow?.flush() ?? Promise.resolve(true);
  }

  /** Flushes and ends: the owner marks the MLflow run with `status`; an attached process only flushes. */
  async close(status: RunEndStatus = 'FINISHED'): Promise<void> {
    this.tensorboard?.close();
    await this.mlflow?.close(this.options.role === 'owner' ? status : undefined);
  }

  private openTensorBoard(): TensorBoardWriter | null {
    try {
      return new TensorBoardWriter(path.join(this.options.dir, TENSORBOARD_DIR));
    } catch (e) {
      this.options.warn(
        `TensorBoard: cannot open an event file in ${this.options.dir}: ${(e as Error).message}`,
      );
      return null;
    }
  }

  private openMlflow(settings: MlflowSettings): MlflowRunLogger {
    const refFile = path.join(this.options.dir, MLFLOW_RUN_FILE);
    const recorded = (): MlflowRunRef | null => {
      try {
        const ref = JSON.parse(fs.readFileSync(refFile, 'utf8')) as MlflowRunRef;
        return ref.trackingUri === settings.trackingUri ? ref : null;
      } catch {
        return null;
      }
    };
    const owner = this.options.role === 'owner';
    // an owner re-running a run id logs into the MLflow run it created the first time
    const previous = owner ? recorded() : null;
    const logger = new MlflowRunLogger({
      settings,
      runName: this.options.runName,
      tags: this.options.tags,
      attach: owner ? (previous ?? undefined) : recorded,
      warn: this.options.warn,
      closeTimeoutMs: this.options.closeTimeoutMs,
      flushIntervalMs: this.options.flushIntervalMs,
      onCreated: (ref) => {
        try {
          fs.mkdirSync(this.options.dir, { recursive: true });
          fs.writeFileSync(refFile, JSON.stringify(ref, null, 2) + '\n');
        } catch (e) {
          this.options.warn(`MLflow: cannot record the run in ${refFile}: ${(e as Error).message}`);
        }
      },
    });
    if (owner) void logger.flush();
    return logger;
  }
}
