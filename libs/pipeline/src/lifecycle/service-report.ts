// report.html of a run the services ran. No one process sees such a run whole, so the pipeline service, which folds
// every event of the run into its record, writes the report once the record has succeeded with every stage's output
// in (run.completed may be folded before the audit's output arrives): the same page the embedded runner writes at
// its end (../runner.ts), drawn from the record and the run's files. Each service's compute backend is its own and
// is not claimed.
import type { ArtifactStore } from '@ftune/storage';
import type { RunConfig } from '../config';
import { ftuneVersion, writeRunReport } from '../runner';
import { runConfigPath, runReportPath } from '../stages/common';
import type { RunRecord } from './run-record';
import type { RunRecords } from './run-records';
import { summarizeRun, type RunSummary } from './run-summary';

const seconds = (from?: string, to?: string): number =>
  from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) / 1000 : 0;

/** The summary of a succeeded run from its record and config, or undefined while a stage's output is missing. */
export function serviceRunSummary(store: ArtifactStore, record: RunRecord): RunSummary | undefined {
  if (record.state !== 'succeeded') return undefined;
  if (!record.stages.every((s) => s.state === 'skipped' || (s.state === 'succeeded' && record.outputs?.[s.stage])))
    return undefined;
  const config = store.tryReadJson<RunConfig>(runConfigPath(record.runId));
  if (!config) return undefined;
  const finishedAt = record.finishedAt ?? record.updatedAt;
  return summarizeRun(
    record,
    {
      runId: record.runId,
      startedAt: record.createdAt,
      finishedAt,
      seconds: seconds(record.createdAt, finishedAt),
      // a stage the config turned off (the audit with audit.enabled false) ran as nothing, as in an embedded run
      stages: record.stages.map((s) => ({
        stage: s.stage,
        status: 'done',
        seconds: seconds(s.startedAt, s.finishedAt),
        startedAt: s.startedAt ?? record.createdAt,
      })),
      config,
      versions: { ftune: ftuneVersion(), node: process.version },
      backend: { backend: "each service's own" },
      paths: { runDir: store.runDir(record.runId), config: store.path(runConfigPath(record.runId)) },
    },
    store,
  );
}

/**
 * Writes the report of `runId` when its record is complete and has none yet, and records the report's path in the
 * record's result; the path, or undefined when there is nothing (yet) to write.
 */
export function reportServiceRun(store: ArtifactStore, records: RunRecords, runId: string): string | undefined {
  const record = records.get(runId);
  if (!record || record.result?.reportPath) return undefined;
  const summary = serviceRunSummary(store, record);
  if (!summary) return undefined;
  writeRunReport(store, summary);
  const rel = runReportPath(runId);
  records.update(runId, (r) => {
    if (r.result) r.result.reportPath = rel;
  });
  return rel;
}
