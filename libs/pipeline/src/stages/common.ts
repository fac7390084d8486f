// What every stage shares: the run config written by the runner at runs/<id>/run-config.json (events
// stay small, stages read the config from the store), and the folders other stages leave behind.
import { UserError } from '@ftune/common';
import type { ArtifactStore } from '@ftune/storage';
import type { RunConfig } from '../config';

export const RUN_CONFIG_FILE = 'run-config.json';

export function runConfigPath(runId: string): string {
  return `runs/${runId}/${RUN_CONFIG_FILE}`;
}

/** Where a run's report.html lies in the store, whichever runner wrote it. */
export function runReportPath(runId: string): string {
  return `runs/${runId}/report.html`;
}

/** The run config of `runId`, as the runner wrote it. */
export function readRunConfig(store: ArtifactStore, runId: string): RunConfig {
  const rel = runConfigPath(runId);
  const cfg = store.tryReadJson<RunConfig>(rel);
  if (!cfg) throw new UserError(`${store.path(rel)} is missing: start the run with its config (ftune run)`);
  return cfg;
}

/** Where the train stage records the model training started from (for baselines and the audit). */
export interface TrainStart {
  /** Absolute folder of the model before fine-tuning. */
  startModel: string;
  mitigation: RunConfig['audit']['mitigation'];
  /** Dataset folder training read (the ingested one, or an augmented copy). */
  trainedOn: string;
}

export function trainStartPath(runId: string): string {
  return `runs/${runId}/train/start.json`;
}

export function readTrainStart(store: ArtifactStore, runId: string): TrainStart {
  return store.readJson<TrainStart>(trainStartPath(runId));
}
