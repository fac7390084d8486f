// What a pipeline run logs to its experiment trackers (docs/observability.md, "Experiment tracking"):
// one MLflow run per ftune run — the run config's hyperparameters as params; the tags ftune.run_id,
// ftune.trace_id, ftune.model, ftune.backend, ftune.dataset_hash; train/* and eval/* metrics per step
// (from the train stage, through StageContext.tracker); test/* and audit/* figures at the last step;
// report.html, eval.json and audit.json as artifacts — and the same scalars in runs/<id>/tensorboard/.
// RunTracking folds the run's events into those calls, so the embedded runner and the pipeline service
// log alike. Tracking never fails a run: a tracker that is down costs a warning.
import * as path from 'node:path';
import { Topics, type EventByTopic, type Topic } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import {
  flattenParams,
  mlflowRunUrl,
  resolveMlflowSettings,
  RunTracker,
  TENSORBOARD_DIR,
  type MlflowSettings,
  type RunEndStatus,
} from '@ftune/tracking';
import type { RunConfig } from './config';
import { readRunConfig } from './stages/common';

/** Where tracking goes beyond the run config: `--mlflow-uri`, and the environment MLflow reads. */
export interface TrackingOptions {
  mlflowUri?: string;
  env?: NodeJS.ProcessEnv;
}

/** The run's MLflow settings (null: MLflow off); an invalid URI given explicitly is a UserError. */
export function mlflowSettingsFor(
  config: RunConfig,
  options: TrackingOptions,
  warn?: (message: string) => void,
): MlflowSettings | null {
  return resolveMlflowSettings({
    flagUri: options.mlflowUri,
    config: config.tracking?.mlflow,
    env: options.env ?? process.env,
    warn,
  });
}

/** The hyperparameters of a run config as MLflow params (paths and the run's own id left out). */
export function runParams(config: RunConfig): Record<string, string | number | boolean> {
  const { dataset, model, template, collator, training, evaluation, audit } = config;
  const { path: _datasetPath, ...datasetParams } = dataset;
  const { terms: _terms, pairs: _pairs, ...auditParams } = audit;
  return flattenParams({
    dataset: datasetParams,
    tokenizer: config.tokenizer === 'gpt2' ? 'gpt2' : path.basename(config.tokenizer),
    model: model.path ? { ...model, path: path.basename(model.path) } : model,
    template,
    collator,
    training,
    evaluation: { samples: evaluation.samples, bootstrap: evaluation.bootstrap },
    audit: auditParams,
  });
}

interface AuditFile {
  passed?: boolean;
  gate?: { checks?: Array<{ name: string; value: number | null }> };
}

/** The tracking of one pipeline run, fed with the run's events. */
export class RunTracking {
  readonly tracker: RunTracker;
  private step = 0;

  constructor(
    private readonly store: ArtifactStore,
    private readonly runId: string,
    config: RunConfig,
    mlflow: MlflowSettings | null,
    tags: Record<string, string>,
    private readonly warn: (message: string) => void,
  ) {
    this.tracker = new RunTracker({
      dir: store.runDir(runId),
      runName: runId,
      tensorboard: config.tracking?.tensorboard ?? true,
      mlflow,
      role: 'owner',
      tags: { 'ftune.run_id': runId, ...tags },
      warn,
    });
    this.tracker.params(runParams(config));
    const trained = store.completion(runId, 'train')?.outputs.event as { steps?: number } | undefined;
    this.step = trained?.steps ?? 0;
  }

  /** Where the run can be looked at (for run.json and the CLI). */
  get links(): {
    mlflow?: { trackingUri: string; experimentId: string; runId: string; url: string };
    tensorboard?: string;
  } {
    const ref = this.tracker.mlflowRun;
    const tb = this.tracker.tensorboardFile;
    return {
      ...(ref
        ? {
            mlflow: {
              trackingUri: ref.trackingUri,
              experimentId: ref.experimentId,
              runId: ref.runId,
              url: mlflowRunUrl(ref),
            },
          }
        : {}),
      ...(tb ? { tensorboard: path.join(this.store.runDir(this.runId), TENSORBOARD_DIR) } : {}),
    };
  }

  onEvent<T extends Topic>(topic: T, event: EventByTopic[T]): void {
    try {
      this.fold(topic, event);
    } catch (e) {
      this.warn(`tracking: ${topic}: ${(e as Error).message}`);
    }
  }

  private fold<T extends Topic>(topic: T, event: EventByTopic[T]): void {
    const t = this.tracker;
    if (topic === Topics.datasetIngested) {
      const e = event as EventByTopic[typeof Topics.datasetIngested];
      t.tags({ 'ftune.dataset_hash': e.datasetHash });
      t.params(flattenParams({ records: e.counts }));
    } else if (topic === Topics.modelTrained) {
      this.step = (event as EventByTopic[typeof Topics.modelTrained]).steps;
    } else if (topic === Topics.modelEvaluated) {
      const e = event as EventByTopic[typeof Topics.modelEvaluated];
      t.metrics(this.step, Object.fromEntries(Object.entries(e.summary).map(([k, v]) => [`test/${k}`, v])));
      t.artifact(this.store.path(e.evalPath), 'eval.json');
    } else if (topic === Topics.modelAudited) {
      const e = event as EventByTopic[typeof Topics.modelAudited];
      const audit = this.store.tryReadJson<AuditFile>(e.auditPath);
      const figures: Record<string, number> = { 'audit/passed': e.passed ? 1 : 0 };
      for (const c of audit?.gate?.checks ?? []) {
        if (c.value !== null)
          figures[`audit/${c.name.replace(/^(max|min)(.)/, (_m, _p, ch: string) => ch.toLowerCase())}`] =
            c.value;
      }
      t.metrics(this.step, figures);
      t.tags({ 'ftune.audit_passed': String(e.passed) });
      t.artifact(this.store.path(e.auditPath), 'audit.json');
    } else if (topic === Topics.runCompleted) {
      const e = event as EventByTopic[typeof Topics.runCompleted];
      if (e.reportPath) t.artifact(this.store.path(e.reportPath), 'report.html');
    }
  }

  /** Flushes and ends the MLflow run with the run's outcome; never throws. */
  end(status: RunEndStatus): Promise<void> {
    return this.tracker.close(status);
  }
}

/**
 * The tracking of the runs a service sees events of (the pipeline service's read model): a run's
 * tracking opens at its first event (the owner of its MLflow run; a replica that restarts mid-run
 * finds the run recorded in the run folder and logs into it) and ends at run.completed / run.failed.
 */
export class RunTrackings {
  private readonly open = new Map<string, RunTracking>();
  /** Trackers that log a report into a run whose tracking already ended, until they have sent it. */
  private readonly late = new Set<Promise<void>>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly warn: (runId: string, message: string) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Folds one event into its run's tracking; the end of a run is flushed in the background. Never throws. */
  apply<T extends Topic>(topic: T, event: EventByTopic[T], traceId?: string): void {
    const runId = event.runId;
    let tracking = this.open.get(runId);
    if (!tracking) {
      try {
        const config = readRunConfig(this.store, runId);
        const warn = (message: string) => this.warn(runId, message);
        const mlflow = mlflowSettingsFor(config, { env: this.env }, warn);
        const model = String(config.model.preset ?? path.basename(config.model.path ?? ''));
        const tags = { 'ftune.model': model, ...(traceId ? { 'ftune.trace_id': traceId } : {}) };
        tracking = new RunTracking(this.store, runId, config, mlflow, tags, warn);
      } catch (e) {
        this.warn(runId, `tracking: not tracking this run: ${(e as Error).message}`);
        return;
      }
      this.open.set(runId, tracking);
    }
    tracking.onEvent(topic, event);
    if (topic === Topics.runCompleted || topic === Topics.runFailed) {
      this.open.delete(runId);
      const failed =
        topic === Topics.runFailed || (event as EventByTopic[typeof Topics.runCompleted]).status === 'failed';
      void tracking.end(failed ? 'FAILED' : 'FINISHED');
    }
  }

  /**
   * Logs the run's report.html into its MLflow run. The services write it once every stage's output is in the
   * run's record, which is at or after run.completed ended the run's tracking: then a tracker attaches to the
   * ended run for it (MLflow takes artifacts into a finished run), with no TensorBoard file. Never throws.
   */
  report(runId: string, reportPath: string): void {
    const file = this.store.path(reportPath);
    const open = this.open.get(runId);
    if (open) return open.tracker.artifact(file, 'report.html');
    const warn = (message: string) => this.warn(runId, message);
    try {
      const mlflow = mlflowSettingsFor(readRunConfig(this.store, runId), { env: this.env }, warn);
      if (!mlflow) return;
      const dir = this.store.runDir(runId);
      const tracker = new RunTracker({
        dir,
        runName: runId,
        tensorboard: false,
        mlflow,
        role: 'attach',
        warn,
      });
      tracker.artifact(file, 'report.html');
      const sent: Promise<void> = tracker.close().finally(() => this.late.delete(sent));
      this.late.add(sent);
    } catch (e) {
      warn(`tracking: report.html not logged: ${(e as Error).message}`);
    }
  }

  /** Ends every open run's tracking as it stands (service shutdown): flushes, sets no status. */
  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all([...all.map((t) => t.tracker.close()), ...this.late]);
  }
}

/**
 * The tracker of a process that runs one stage of a run another process owns (the train job of the
 * services): it logs into the run's MLflow run and writes its own TensorBoard file in the run folder.
 * Undefined, with a warning, when the run's config cannot be read.
 */
export function attachStageTracker(
  store: ArtifactStore,
  runId: string,
  tags: Record<string, string>,
  warn: (message: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): RunTracker | undefined {
  try {
    const config = readRunConfig(store, runId);
    const tracker = new RunTracker({
      dir: store.runDir(runId),
      runName: runId,
      tensorboard: config.tracking?.tensorboard ?? true,
      mlflow: mlflowSettingsFor(config, { env }, warn),
      role: 'attach',
      warn,
    });
    tracker.tags(tags);
    return tracker;
  } catch (e) {
    warn(`tracking: not tracking this job: ${(e as Error).message}`);
    return undefined;
  }
}
