// The embedded pipeline run (`ftune run`, `npm start`): the stages of the chain on the in-process bus,
// from run.requested to run.completed (run.failed with the stage and reason on error). The run config
// goes to runs/<id>/run-config.json first; stages read it from the store. Every stage goes through
// runStage, so re-running a run id skips the stages that are complete; every event is folded into the
// run's record (lifecycle/run-record.ts). At the end: runs/<id>/report.html and runs/<id>/run.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { newEnvelope, Topics, type StageName, type Topic } from '@ftune/contracts';
import { ArtifactStore, checkSegment } from '@ftune/storage';
import { InProcessBus } from './bus';
import type { RunConfig } from './config';
import { buildRunReport } from './report';
import { newRunId } from './lifecycle/run-id';
import { foldRunEvent, newRunRecord } from './lifecycle/run-record';
import { summarizeRun, type RunFacts, type RunSummary } from './lifecycle/run-summary';
import {
  runStage,
  type Stage,
  type StageContext,
  type StageMetrics,
  type StageNotice,
  type StageProgress,
} from './stage';
import { runConfigPath, runReportPath, STAGES } from './stages';
import { mlflowSettingsFor, RunTracking, type TrackingOptions } from './tracking';

export interface RunHooks {
  onStage?(e: { stage: StageName; status: StageNotice['status']; seconds?: number }): void;
  onProgress?(p: StageProgress): void;
  log?(stage: StageName | 'run', message: string): void;
  /** Every event published on the bus (the read model of the run). */
  onEvent?(topic: Topic, event: unknown): void;
  signal?: AbortSignal;
}

export interface RunOptions {
  config: RunConfig;
  /** Overrides config.runId. */
  runId?: string;
  backend?: Record<string, unknown>;
  /** Extra versions (e.g. the CLI's). */
  versions?: Record<string, string>;
  hooks?: RunHooks;
  /** Traces the run: a root span `run <id>` with one span per stage. */
  tracer?: Tracer;
  /** MLflow beyond the run config: `--mlflow-uri`, and the environment MLflow reads (default process.env). */
  tracking?: TrackingOptions;
  /** Where stage durations and failures are recorded. */
  metrics?: StageMetrics;
}

export interface RunOutcome {
  record: RunSummary;
  runDir: string;
  reportPath?: string;
  error?: unknown;
}

/** ftune's version, from the workspace's package.json. */
export function ftuneVersion(): string {
  try {
    const pkg = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8'),
    ) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Writes the run config, or checks that a re-run of the same id uses the same config. */
function pinConfig(store: ArtifactStore, runId: string, config: RunConfig): void {
  const rel = runConfigPath(runId);
  const previous = store.tryReadJson<RunConfig>(rel);
  const now = { ...config, runId };
  if (previous && JSON.stringify(previous) !== JSON.stringify(now)) {
    throw new UserError(
      `run ${runId} exists with a different config (${store.path(rel)}): use another runId, or delete the run folder`,
    );
  }
  if (!previous) store.writeJson(rel, now);
}

/** Runs the pipeline; never throws for a stage failure (the outcome says failed), only for bad input. */
export async function runPipeline(options: RunOptions): Promise<RunOutcome> {
  const { config, tracer } = options;
  const runId = checkSegment(options.runId ?? config.runId ?? newRunId(config.name));
  const warn = (message: string) => options.hooks?.log?.('run', message);
  const mlflow = mlflowSettingsFor(config, options.tracking ?? {}, warn); // a bad URI fails before any write
  const opened = { ...options, runId, mlflow };
  if (!tracer) return pipelineRun(opened);
  const attributes = { 'ftune.run_id': runId };
  return tracer.startActiveSpan(`run ${runId}`, { root: true, attributes }, async (span) => {
    try {
      const outcome = await pipelineRun(opened, span.spanContext().traceId);
      const reason = outcome.record.failure?.reason;
      span.setStatus(reason ? { code: SpanStatusCode.ERROR, message: reason } : { code: SpanStatusCode.OK });
      return outcome;
    } finally {
      span.end();
    }
  });
}

async function pipelineRun(
  options: RunOptions & { runId: string; mlflow: ReturnType<typeof mlflowSettingsFor> },
  traceId?: string,
): Promise<RunOutcome> {
  const { config, runId, hooks = {} } = options;
  const store = new ArtifactStore(config.runsDir);
  pinConfig(store, runId, config);
  const runDir = store.runDir(runId);
  const began = Date.now();
  const facts: RunFacts = {
    runId,
    startedAt: new Date(began).toISOString(),
    finishedAt: '',
    seconds: 0,
    stages: [],
    config: { ...config, runId },
    versions: {
      ftune: ftuneVersion(),
      node: process.version,
      'tfjs-core': tf.version_core,
      ...(options.versions ?? {}),
    },
    backend: options.backend ?? { backend: tf.getBackend() },
    paths: { runDir, config: store.path(runConfigPath(runId)) },
    ...(traceId ? { traceId } : {}),
  };
  let record = newRunRecord(runId, config.name ?? '', facts.startedAt);

  const tracking = new RunTracking(
    store,
    runId,
    facts.config,
    options.mlflow,
    {
      ...(traceId ? { 'ftune.trace_id': traceId } : {}),
      'ftune.model': String(config.model.preset ?? path.basename(config.model.path ?? '')),
      ...backendAttribute(facts.backend),
    },
    (message) => hooks.log?.('run', message),
  );

  const earlier = store.tryReadJson<RunSummary>(`runs/${runId}/run.json`);
  const workSeconds = (stage: StageName): number | undefined => {
    const s = earlier?.stages.find((x) => x.stage === stage && x.status !== 'failed');
    return s ? (s.workSeconds ?? s.seconds) : undefined;
  };
  const bus = new InProcessBus();
  let current: StageName | 'run' = 'run';
  let failureShown = false;
  const onStage = (n: StageNotice): void => {
    if (n.status === 'started') {
      current = n.stage;
      facts.stages.push({ stage: n.stage, status: 'done', seconds: 0, startedAt: new Date().toISOString() });
    } else {
      const timing = facts.stages[facts.stages.length - 1];
      timing.status = n.status;
      timing.seconds = n.status === 'failed' ? 0 : (n.seconds ?? 0);
      const work = n.status === 'skipped' ? workSeconds(n.stage) : undefined;
      if (work !== undefined) timing.workSeconds = work;
      if (n.status === 'failed') failureShown = true;
    }
    hooks.onStage?.({ stage: n.stage, status: n.status, seconds: n.seconds });
  };
  const ctxFor = (stage: StageName): StageContext => ({
    store,
    log: (message) => hooks.log?.(stage, message),
    tracer: options.tracer,
    spanAttributes: backendAttribute(facts.backend),
    progress: hooks.onProgress,
    emit: (topic, event) => bus.publish(topic, event),
    signal: hooks.signal,
    tracker: tracking.tracker,
    metrics: options.metrics,
    onStage,
  });
  // the record first: a stage's output is folded in before the next stage starts
  for (const topic of Object.values(Topics))
    bus.subscribe(topic, async (e) => {
      record = foldRunEvent(record, topic, e).record;
      tracking.onEvent(topic, e);
      hooks.onEvent?.(topic, e);
    });
  const wire = <I extends Topic, O extends Topic>(stage: Stage<I, O>): void => {
    bus.subscribe(stage.consumes, async (event) => {
      const { event: out } = await runStage(stage, event, ctxFor(stage.name));
      await bus.publish(stage.emits, out);
    });
  };
  for (const s of STAGES) wire(s as unknown as Stage<Topic, Topic>);
  let outcome: RunOutcome | undefined;
  bus.subscribe(Topics.modelAudited, async (e) => {
    current = 'run';
    const completed = {
      ...newEnvelope(runId),
      status: 'succeeded' as const,
      runDir: `runs/${runId}`,
      reportPath: runReportPath(runId),
      auditPassed: e.passed,
    };
    // the report is written before run.completed goes out (its listeners read it): drawn from the
    // record as that event leaves it
    facts.tracking = tracking.links;
    const summary = summarizeRun(foldRunEvent(record, Topics.runCompleted, completed).record, facts, store);
    outcome = { record: summary, runDir, reportPath: finish(store, summary, began) };
    await bus.publish(Topics.runCompleted, completed);
  });

  try {
    await bus.publish(Topics.runRequested, {
      ...newEnvelope(runId),
      config: facts.config as unknown as Record<string, unknown>,
    });
    if (!outcome) throw new Error('the pipeline ended without an audit result');
    await tracking.end('FINISHED');
    return outcome;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const stage = current;
    facts.failure = { stage, reason };
    facts.tracking = tracking.links;
    if (!failureShown) {
      if (stage !== 'run')
        facts.stages.push({ stage, status: 'failed', seconds: 0, startedAt: new Date().toISOString() });
      hooks.onStage?.({ stage: stage === 'run' ? 'audit' : stage, status: 'failed' });
    }
    try {
      await bus.publish(Topics.runFailed, { ...newEnvelope(runId), stage, reason });
    } catch {
      // a failing listener must not hide the stage error
    }
    const summary = summarizeRun(record, facts, store);
    let reportPath: string | undefined;
    try {
      reportPath = finish(store, summary, began);
    } catch {
      reportPath = undefined;
    }
    if (reportPath) tracking.tracker.artifact(reportPath, 'report.html');
    await tracking.end(error instanceof UserError && error.exitCode === 130 ? 'KILLED' : 'FAILED');
    return { record: summary, runDir, reportPath, error };
  }
}

function backendAttribute(backend: Record<string, unknown>): Record<string, string> {
  const name = backend.backend ?? backend.name;
  return typeof name === 'string' ? { 'ftune.backend': name } : {};
}

/** Writes report.html (as far as the run got) and run.json. */
function finish(store: ArtifactStore, record: RunSummary, began: number): string | undefined {
  record.finishedAt = new Date().toISOString();
  record.seconds = (Date.now() - began) / 1000;
  let reportPath: string | undefined;
  try {
    reportPath = writeRunReport(store, record);
  } catch (e) {
    if (record.status === 'succeeded') throw e;
  }
  store.writeJson(`runs/${record.runId}/run.json`, record);
  return reportPath;
}

/** Writes runs/<id>/report.html from the run's summary (and records its path there); the file's path. */
export function writeRunReport(store: ArtifactStore, record: RunSummary): string {
  const html = buildRunReport(store, record);
  const reportPath = path.join(store.runDir(record.runId), 'report.html');
  fs.writeFileSync(reportPath, html);
  record.paths.report = reportPath;
  return reportPath;
}
