// The embedded pipeline run (`ftune run`, `npm start`): the five stages on the in-process bus, in
// order run.requested → ingest → tokenize → train → evaluate → audit → run.completed (run.failed
// with the stage and reason on error). The run config goes to runs/<id>/run-config.json first;
// stages read it from the store. Every stage goes through runStage, so re-running a run id skips
// the stages that are complete. At the end: runs/<id>/report.html and runs/<id>/run.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpanStatusCode, type Tracer } from '@opentelemetry/api';
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { newEnvelope, Topics, type EventByTopic, type StageName, type Topic } from '@ftune/contracts';
import { ArtifactStore, checkSegment } from '@ftune/storage';
import { InProcessBus } from './bus';
import type { RunConfig } from './config';
import { buildRunReport } from './report';
import { runStage, type Stage, type StageContext, type StageProgress } from './stage';
import { runConfigPath, STAGES } from './stages';
import { mlflowSettingsFor, RunTracking, type TrackingOptions } from './tracking';

export type StageStatus = 'done' | 'skipped' | 'failed';

export interface StageTiming {
  stage: StageName;
  status: StageStatus;
  seconds: number;
  startedAt: string;
  /** For a skipped stage: how long its work took when it was done (from the earlier run.json). */
  workSeconds?: number;
}

export interface RunRecord {
  runId: string;
  status: 'succeeded' | 'failed';
  startedAt: string;
  finishedAt: string;
  seconds: number;
  stages: StageTiming[];
  failure?: { stage: string; reason: string };
  /** Key results, when the stages got that far. */
  results: {
    counts?: EventByTopic[typeof Topics.datasetIngested]['counts'];
    tokens?: number;
    steps?: number;
    finalLoss?: number;
    evaluation?: Record<string, number>;
    audit?: { passed: boolean; reasons: string[] };
  };
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

export interface RunHooks {
  onStage?(e: { stage: StageName; status: 'started' | StageStatus; seconds?: number }): void;
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
}

export interface RunOutcome {
  record: RunRecord;
  runDir: string;
  reportPath?: string;
  error?: unknown;
}

function newRunId(cfg: RunConfig): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
    .replace('T', '-');
  return `${cfg.name ?? 'run'}-${stamp}`;
}

function ftuneVersion(): string {
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
  const runId = checkSegment(options.runId ?? config.runId ?? newRunId(config));
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
  const record: RunRecord = {
    runId,
    status: 'failed',
    startedAt: new Date(began).toISOString(),
    finishedAt: '',
    seconds: 0,
    stages: [],
    results: {},
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

  const tracking = new RunTracking(
    store,
    runId,
    record.config,
    options.mlflow,
    {
      ...(traceId ? { 'ftune.trace_id': traceId } : {}),
      'ftune.model': String(config.model.preset ?? path.basename(config.model.path ?? '')),
      ...backendAttribute(record.backend),
    },
    (message) => hooks.log?.('run', message),
  );

  const earlier = store.tryReadJson<RunRecord>(`runs/${runId}/run.json`);
  const workSeconds = (stage: StageName): number | undefined => {
    const s = earlier?.stages.find((x) => x.stage === stage && x.status !== 'failed');
    return s ? (s.workSeconds ?? s.seconds) : undefined;
  };
  const bus = new InProcessBus();
  let current: StageName | 'run' = 'run';
  const ctxFor = (stage: StageName): StageContext => ({
    store,
    log: (message) => hooks.log?.(stage, message),
    tracer: options.tracer,
    spanAttributes: backendAttribute(record.backend),
    progress: hooks.onProgress,
    emit: (topic, event) => bus.publish(topic, event),
    signal: hooks.signal,
    tracker: tracking.tracker,
  });
  for (const topic of Object.values(Topics))
    bus.subscribe(topic, async (e) => {
      tracking.onEvent(topic, e);
      hooks.onEvent?.(topic, e);
    });

  bus.subscribe(Topics.datasetIngested, async (e) => void (record.results.counts = e.counts));
  bus.subscribe(Topics.datasetTokenized, async (e) => void (record.results.tokens = e.tokens));
  bus.subscribe(Topics.modelTrained, async (e) => {
    record.results.steps = e.steps;
    record.results.finalLoss = e.finalLoss;
    record.paths.model = store.path(e.modelDir);
    record.paths.metrics = store.path(e.metricsPath);
  });
  bus.subscribe(Topics.modelEvaluated, async (e) => {
    record.results.evaluation = e.summary;
    record.paths.eval = store.path(e.evalPath);
  });
  // Stages after the read-model subscribers: a stage's output is recorded before the next stage starts
  const wire = <I extends Topic, O extends Topic>(stage: Stage<I, O>): void => {
    bus.subscribe(stage.consumes, async (event) => {
      current = stage.name;
      const t0 = Date.now();
      const startedAt = new Date(t0).toISOString();
      hooks.onStage?.({ stage: stage.name, status: 'started' });
      const { event: out, reused } = await runStage(stage, event, ctxFor(stage.name));
      const seconds = (Date.now() - t0) / 1000;
      const status: StageStatus = reused ? 'skipped' : 'done';
      const work = reused ? workSeconds(stage.name) : undefined;
      record.stages.push({
        stage: stage.name,
        status,
        seconds,
        startedAt,
        ...(work === undefined ? {} : { workSeconds: work }),
      });
      hooks.onStage?.({ stage: stage.name, status, seconds });
      await bus.publish(stage.emits, out);
    });
  };
  for (const s of STAGES) wire(s as unknown as Stage<Topic, Topic>);
  let outcome: RunOutcome | undefined;
  bus.subscribe(Topics.modelAudited, async (e) => {
    record.results.audit = { passed: e.passed, reasons: e.reasons };
    record.paths.audit = store.path(e.auditPath);
    current = 'run';
    record.status = 'succeeded';
    record.tracking = tracking.links;
    const reportPath = finish(store, record, began);
    outcome = { record, runDir, reportPath };
    await bus.publish(Topics.runCompleted, {
      ...newEnvelope(runId),
      status: 'succeeded',
      runDir: `runs/${runId}`,
      reportPath: `runs/${runId}/report.html`,
      auditPassed: e.passed,
    });
  });

  try {
    await bus.publish(Topics.runRequested, {
      ...newEnvelope(runId),
      config: record.config as unknown as Record<string, unknown>,
    });
    if (!outcome) throw new Error('the pipeline ended without an audit result');
    await tracking.end('FINISHED');
    return outcome;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const stage = current;
    if (stage !== 'run')
      record.stages.push({ stage, status: 'failed', seconds: 0, startedAt: new Date().toISOString() });
    record.status = 'failed';
    record.failure = { stage, reason };
    record.tracking = tracking.links;
    hooks.onStage?.({ stage: stage === 'run' ? 'audit' : stage, status: 'failed' });
    let reportPath: string | undefined;
    try {
      reportPath = finish(store, record, began);
    } catch {
      reportPath = undefined;
    }
    try {
      await bus.publish(Topics.runFailed, { ...newEnvelope(runId), stage, reason });
    } catch {
      // a failing listener must not hide the stage error
    }
    if (reportPath) tracking.tracker.artifact(reportPath, 'report.html');
    await tracking.end(error instanceof UserError && error.exitCode === 130 ? 'KILLED' : 'FAILED');
    return { record, runDir, reportPath, error };
  }
}

function backendAttribute(backend: Record<string, unknown>): Record<string, string> {
  const name = backend.backend ?? backend.name;
  return typeof name === 'string' ? { 'ftune.backend': name } : {};
}

/** Writes report.html (as far as the run got) and run.json. */
function finish(store: ArtifactStore, record: RunRecord, began: number): string | undefined {
  record.finishedAt = new Date().toISOString();
  record.seconds = (Date.now() - began) / 1000;
  let reportPath: string | undefined;
  try {
    const html = buildRunReport(store, record);
    reportPath = path.join(store.runDir(record.runId), 'report.html');
    fs.writeFileSync(reportPath, html);
    record.paths.report = reportPath;
  } catch (e) {
    if (record.status === 'succeeded') throw e;
  }
  store.writeJson(`runs/${record.runId}/run.json`, record);
  return reportPath;
}
