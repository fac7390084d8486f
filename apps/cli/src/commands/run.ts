// `ftune run CONFIG`: the whole pipeline in one process (ingest → tokenize → train → evaluate →
// audit) from a YAML run config, into runs/<run-id>/ of the artifact folder. Stage-by-stage progress
// on stderr (bars on a terminal, plain lines otherwise), a summary table and the run folder at the
// end. Re-running with the same --run-id skips the stages that are complete.
import { trace } from '@opentelemetry/api';
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import { Topics, type EventByTopic, type StageName } from '@ftune/contracts';
import type { RunConfig, RunSummary, StageProgress } from '@ftune/pipeline';
import { lib } from './libs';
import { positiveInt } from './tokenize';
import { runRemoteCommand, type RemoteFlags } from './run-remote';

interface RunFlags {
  runId?: string;
  runsDir?: string;
  mitigation?: RunConfig['audit']['mitigation'];
  maxRecords?: number;
  maxSteps?: number;
  failOnGate?: boolean;
  mlflowUri?: string;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Progress lines or bars on stderr, at most a few per second; `place` numbers a stage ("2/5"). */
function progressView(
  tty: boolean,
  place: (stage: StageName) => string,
): {
  stage(name: StageName, status: string, seconds?: number): void;
  progress(p: StageProgress): void;
  log(stage: string, message: string): void;
} {
  let last = 0;
  let lastPlain = 0;
  let barShown = false;
  const clear = (): void => {
    if (tty && barShown) process.stderr.write('\r\x1b[K');
    barShown = false;
  };
  const line = (text: string): void => {
    clear();
    process.stderr.write(`${text}\n`);
  };
  return {
    stage(name, status, seconds) {
      const n = place(name);
      if (status === 'started') line(`[${n}] ${name}…`);
      else if (status === 'skipped') line(`[${n}] ${name}: already complete, skipped`);
      else if (status === 'done') line(`[${n}] ${name}: done in ${seconds?.toFixed(1) ?? '?'} s`);
      else line(`[${n}] ${name}: failed`);
    },
    progress(p) {
      const now = Date.now();
      const final = p.total !== undefined && p.done >= p.total;
      const f = p.fields ?? {};
      let text = `${p.stage}: ${p.done.toLocaleString('en-US')}${p.total !== undefined ? `/${p.total.toLocaleString('en-US')}` : ''} ${p.unit}`;
      if (typeof f.tokens === 'number') text += ` · ${f.tokens.toLocaleString('en-US')} tokens`;
      if (typeof f.loss === 'number') text += ` · loss ${f.loss.toFixed(4)}`;
      if (typeof f.elapsedSeconds === 'number' && p.total !== undefined && p.done > 0) {
        text += ` · ${clock(f.elapsedSeconds)} elapsed, ETA ${clock((f.elapsedSeconds / p.done) * (p.total - p.done))}`;
      }
      if (typeof f.phase === 'string' && p.stage !== 'ingest') text += ` · ${f.phase}`;
      if (tty) {
        if (!final && now - last < 150) return;
        last = now;
        const width = 24;
        const frac = p.total ? Math.min(1, p.done / p.total) : 0;
        const bar = p.total
          ? `[${'#'.repeat(Math.round(frac * width))}${'.'.repeat(width - Math.round(frac * width))}] `
          : '';
        process.stderr.write(`\r\x1b[K${bar}${text}`);
        barShown = true;
      } else if (final || now - lastPlain >= 5000) {
        lastPlain = now;
        line(text);
      }
    },
    log(stage, message) {
      line(`  ${stage}: ${message}`);
    },
  };
}

function summaryTable(r: RunSummary): string {
  const rows: Array<[string, string]> = [];
  for (const s of r.stages)
    rows.push([
      s.stage,
      s.status === 'skipped' ? 'skipped (complete)' : `${s.status} in ${s.seconds.toFixed(1)} s`,
    ]);
  const c = r.results.counts;
  if (c)
    rows.push([
      'records',
      `train ${c.train} · validation ${c.validation} · test ${c.test} · rejected ${c.rejected}`,
    ]);
  if (r.results.tokens !== undefined) rows.push(['train tokens', r.results.tokens.toLocaleString('en-US')]);
  if (r.results.steps !== undefined)
    rows.push(['training', `${r.results.steps} steps, final loss ${r.results.finalLoss?.toFixed(4) ?? '?'}`]);
  const trained = lib.pipeline().trainedParametersOf(r.paths.runDir);
  if (trained) rows.push(['trained', trained]);
  const e = r.results.evaluation;
  if (e?.accuracy !== undefined) {
    const parts = [`${(e.accuracy * 100).toFixed(1)}%`];
    if (e.majority_accuracy !== undefined)
      parts.push(`majority baseline ${(e.majority_accuracy * 100).toFixed(1)}%`);
    if (e.start_accuracy !== undefined)
      parts.push(`before fine-tuning ${(e.start_accuracy * 100).toFixed(1)}%`);
    rows.push(['test accuracy', parts.join(' · ')]);
  } else if (e?.loss !== undefined) rows.push(['test loss', e.loss.toFixed(4)]);
  if (r.results.audit)
    rows.push([
      'bias gate',
      r.results.audit.passed ? 'passed' : `FAILED — ${r.results.audit.reasons.join('; ')}`,
    ]);
  rows.push(['status', `${r.status} in ${r.seconds.toFixed(1)} s`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the whole pipeline (ingest, tokenize, train, evaluate, audit) from a YAML run config')
    .argument('<config>', 'run config (YAML or JSON; schema: libs/pipeline/run-config.schema.json)')
    .option(
      '--run-id <ID>',
      'run id (default: the config runId, else <name>-<timestamp>); an existing id resumes, skipping complete stages',
    )
    .option(
      '--runs-dir <DIR>',
      'artifact folder; the run goes to <DIR>/runs/<id>/ (default: the config runsDir)',
    )
    .option(
      '--mitigation <none|reweight|augment>',
      'bias mitigation applied to the training data (overrides audit.mitigation)',
    )
    .option(
      '--max-records <N>',
      'use only the first N records of the dataset (overrides dataset.maxRecords)',
      positiveInt,
    )
    .option('--max-steps <N>', 'optimizer steps (overrides training.maxSteps)', positiveInt)
    .option('--fail-on-gate', 'exit with status 3 when the bias-audit gate fails')
    .option(
      '--mlflow-uri <uri>',
      'log the run to this MLflow tracking server (overrides tracking.mlflow.trackingUri and MLFLOW_TRACKING_URI)',
    )
    .option(
      '--remote <address>',
      'submit to the pipeline service at host:port (ftune serve) and follow it there',
    )
    .option('--token-file <file>', 'file holding the bearer token for --remote (default: FTUNE_AUTH_TOKEN)')
    .option('--tls', 'connect to --remote over TLS, trusting the system roots (or --tls-ca)')
    .option('--tls-ca <file>', 'PEM file of the CA that signed the services\' certificate (implies --tls)')
    .option('--tls-cert <file>', 'PEM client certificate, for services that require one (mutual TLS)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .action(async (file: string, flags: RunFlags & RemoteFlags) => {
      if (flags.remote) {
        if (flags.mlflowUri)
          throw new UserError(
            '--mlflow-uri: not with --remote (the services log to the tracking.mlflow of the run config, or their own MLFLOW_TRACKING_URI)',
          );
        return runRemoteCommand(file, flags);
      }
      const { loadRunConfig, runPipeline, STAGE_COUNT, stageNumber } = lib.pipeline();
      const { describeChoice, initBackend } = lib.compute();
      const { activeTelemetry, ftuneInstruments, METRIC_ATTRIBUTES, recordTrainingProgress, stageMetrics } =
        lib.telemetry();
      const config = loadRunConfig(file);
      if (flags.runsDir)
        config.runsDir = flags.runsDir.startsWith('/') ? flags.runsDir : `${process.cwd()}/${flags.runsDir}`;
      if (flags.mitigation) {
        if (!['none', 'reweight', 'augment'].includes(flags.mitigation))
          throw new UserError(`--mitigation: must be none, reweight or augment (got ${flags.mitigation})`);
        config.audit.mitigation = flags.mitigation;
      }
      if (flags.maxRecords !== undefined) config.dataset.maxRecords = flags.maxRecords;
      if (flags.maxSteps !== undefined) config.training.maxSteps = flags.maxSteps;

      const choice = await initBackend();
      process.stderr.write(`${describeChoice(choice)[0]}\n`);
      const view = progressView(
        Boolean(process.stderr.isTTY),
        (stage) => `${stageNumber(stage)}/${STAGE_COUNT}`,
      );
      const controller = new AbortController();
      const stop = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping after the current step (again to quit at once)\n');
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // with OTEL_EXPORTER_OTLP_ENDPOINT set (telemetry started by instrumentation.ts): a trace and metrics
      const traced = activeTelemetry().enabled;
      const metrics = traced ? ftuneInstruments() : undefined;
      let outcome;
      try {
        outcome = await runPipeline({
          config,
          runId: flags.runId,
          backend: { ...choice.info },
          tracer: traced ? trace.getTracer('ftune') : undefined,
          tracking: { mlflowUri: flags.mlflowUri },
          metrics: metrics && stageMetrics(metrics),
          hooks: {
            onStage: (e) => view.stage(e.stage, e.status, e.seconds),
            onProgress: (p) => view.progress(p),
            log: (stage, message) => view.log(stage, message),
            onEvent: (topic, e) => {
              if (!metrics) return;
              if (topic === Topics.trainingProgress) {
                const p = e as EventByTopic[typeof Topics.trainingProgress];
                recordTrainingProgress(metrics, p, { [METRIC_ATTRIBUTES.runId]: p.runId });
              }
            },
            signal: controller.signal,
          },
        });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      const r = outcome.record;
      process.stderr.write(`\n${summaryTable(r)}\n\n`);
      process.stdout.write(`run folder: ${outcome.runDir}\n`);
      if (outcome.reportPath) process.stdout.write(`report:     ${outcome.reportPath}\n`);
      if (r.traceId) process.stdout.write(`trace id:   ${r.traceId}\n`);
      if (r.tracking?.mlflow) process.stdout.write(`mlflow run: ${r.tracking.mlflow.url}\n`);
      if (r.tracking?.tensorboard) process.stdout.write(`tensorboard: ${r.tracking.tensorboard}\n`);
      if (r.status === 'failed') {
        const e = outcome.error;
        if (e instanceof UserError)
          throw new UserError(`${r.failure?.stage ?? 'run'}: ${e.message}`, e.exitCode);
        throw e instanceof Error ? e : new Error(String(e));
      }
      if (flags.failOnGate && r.results.audit && !r.results.audit.passed)
        throw new UserError('the bias-audit gate failed', 3);
    });
}
