// runs/<id>/run.json of an embedded run (`ftune run`): the run record (./run-record.ts) as the run's
// summary — status, failure, key results and artifact paths, all read from the record — with what only
// the process that ran it knows: each stage's wall time, the config, versions, backend and trace.
// The report (../report.ts) is drawn from it.
import type { EventByTopic, StageName, Topics } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import type { RunConfig } from '../config';
import type { RunTracking } from '../tracking';
import type { RunRecord } from './run-record';

export type StageStatus = 'done' | 'skipped' | 'failed';

export interface StageTiming {
  stage: StageName;
  status: StageStatus;
  seconds: number;
  startedAt: string;
  /** For a skipped stage: how long its work took when it was done (from the earlier run.json). */
  workSeconds?: number;
}

/** What the process that ran the stages knows beside the record. */
export interface RunFacts {
  runId: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  stages: StageTiming[];
  /** The stage that failed ('run' for a failure between stages) and why. */
  failure?: { stage: string; reason: string };
  config: RunConfig;
  versions: Record<string, string>;
  /** The compute backend, as the app chose it (domain code does not choose backends). */
  backend: Record<string, unknown>;
  paths: Record<string, string>;
  /** The run's trace (when it ran with a tracer): open it in Grafana/Tempo. */
  traceId?: string;
  /** Where the run's experiment tracking is: the MLflow run (when on), the TensorBoard folder. */
  tracking?: RunTracking['links'];
}

export interface RunSummary extends RunFacts {
  status: 'succeeded' | 'failed';
  /** Key results, when the stages got that far. */
  results: {
    counts?: EventByTopic[typeof Topics.datasetIngested]['counts'];
    tokens?: number;
    steps?: number;
    finalLoss?: number;
    evaluation?: Record<string, number>;
    audit?: { passed: boolean; reasons: string[] };
  };
}

type Outputs = {
  ingest: EventByTopic[typeof Topics.datasetIngested];
  tokenize: EventByTopic[typeof Topics.datasetTokenized];
  train: EventByTopic[typeof Topics.modelTrained];
  evaluate: EventByTopic[typeof Topics.modelEvaluated];
  audit: EventByTopic[typeof Topics.modelAudited];
};

/** The summary of a run from its record and the facts of the process that ran it. */
export function summarizeRun(record: RunRecord, facts: RunFacts, store: ArtifactStore): RunSummary {
  const out = (record.outputs ?? {}) as Partial<Outputs>;
  const paths = { ...facts.paths };
  if (out.train) {
    paths.model = store.path(out.train.modelDir);
    paths.metrics = store.path(out.train.metricsPath);
  }
  if (out.evaluate) paths.eval = store.path(out.evaluate.evalPath);
  if (out.audit) paths.audit = store.path(out.audit.auditPath);
  const results: RunSummary['results'] = {};
  if (out.ingest) results.counts = out.ingest.counts;
  if (out.tokenize) results.tokens = out.tokenize.tokens;
  if (out.train) {
    results.steps = out.train.steps;
    results.finalLoss = out.train.finalLoss;
  }
  if (out.evaluate) results.evaluation = out.evaluate.summary;
  if (out.audit) results.audit = { passed: out.audit.passed, reasons: out.audit.reasons };
  return {
    ...facts,
    status: record.state === 'succeeded' && !facts.failure ? 'succeeded' : 'failed',
    results,
    paths,
  };
}
