// report.html of a run: one self-contained page (libs/eval renderReport: inline CSS and SVG, no
// script, nothing from the network) with the run summary, the evaluation with baselines and the
// training curves, the bias audit, and the generated samples — as far as the run got.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { auditSections, gateNote, type AuditResult } from '@ftune/bias-audit';
import {
  esc,
  evalSections,
  note,
  parseMetricsLog,
  pct,
  renderReport,
  statCards,
  table,
  type EvalResult,
  type ReportSection,
  type Stat,
} from '@ftune/eval';
import type { ArtifactStore } from '@ftune/storage';
import type { TrainJobResult } from '@ftune/trainer';
import type { RunSummary } from './lifecycle/run-summary';
import type { FilterSummary, MitigationReport, TokenizeSummary } from './stages';

function readIf<T>(file: string | undefined): T | undefined {
  return file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as T) : undefined;
}

const duration = (s: number): string =>
  s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;

function summarySection(
  r: RunSummary,
  store: ArtifactStore,
  evalResult?: EvalResult,
  audit?: AuditResult,
): ReportSection {
  const stats: Stat[] = [
    {
      label: 'Run',
      value: r.status,
      note: r.failure ? `failed in ${r.failure.stage}` : `in ${duration(r.seconds)}`,
      tone: r.status === 'succeeded' ? 'good' : 'bad',
    },
  ];
  if (evalResult?.accuracy !== undefined) {
    const base = evalResult.baseline_accuracy;
    stats.push({
      label: 'Test accuracy',
      value: pct(evalResult.accuracy),
      note: base !== undefined ? `majority baseline ${pct(base)}` : undefined,
      tone: base !== undefined ? (evalResult.accuracy > base ? 'good' : 'bad') : undefined,
    });
  }
  if (r.results.steps !== undefined)
    stats.push({
      label: 'Training steps',
      value: String(r.results.steps),
      note: r.results.finalLoss !== undefined ? `final loss ${r.results.finalLoss.toFixed(3)}` : undefined,
    });
  if (audit)
    stats.push({
      label: 'Bias gate',
      value: audit.passed ? 'passed' : 'failed',
      note: gateNote(audit.gate),
      tone: audit.passed ? 'good' : 'bad',
    });
  const c = r.results.counts;
  if (c)
    stats.push({
      label: 'Records',
      value: String(c.train + c.validation + c.test),
      note: `train ${c.train} · val ${c.validation} · test ${c.test} · rejected ${c.rejected}`,
    });

  const parts = [statCards(stats)];
  if (r.failure) parts.push(`<p class="bad">Stage ${r.failure.stage} failed: ${esc(r.failure.reason)}</p>`);
  parts.push(
    table(
      [{ title: 'Stage' }, { title: 'Status' }, { title: 'Time', numeric: true }],
      r.stages.map((s) => [
        s.stage,
        s.status === 'skipped' ? 'skipped (already complete)' : s.status,
        s.status === 'skipped' ? '—' : duration(s.seconds),
      ]),
      'Stages, in order',
    ),
  );
  const tok = store.tryReadJson<TokenizeSummary>(`runs/${r.runId}/tokenize/summary.json`);
  if (tok) {
    parts.push(
      table(
        [
          { title: 'Split' },
          { title: 'Examples', numeric: true },
          { title: 'Tokens', numeric: true },
          { title: 'In the loss', numeric: true },
          { title: 'Mean length', numeric: true },
          { title: `Truncated (> ${tok.maxLength})`, numeric: true },
          { title: 'Untrainable', numeric: true },
        ],
        Object.entries(tok.splits).map(([k, s]) => [
          k,
          String(s.examples),
          String(s.tokens),
          String(s.trainableTokens),
          s.meanTokens.toFixed(1),
          String(s.truncated),
          String(s.untrainable),
        ]),
        `Tokens (${tok.tokenizer}), as the collator sees them; the loss covers ` +
          (tok.chatTemplate
            ? `the assistant turns of the chat template (${tok.chatTemplate})`
            : `what follows ${JSON.stringify(tok.responseTemplate ?? '')}`),
      ),
    );
  }
  const mitigation = store.tryReadJson<MitigationReport>(`runs/${r.runId}/train/mitigation.json`);
  if (mitigation && mitigation.kind !== 'none') {
    const what =
      mitigation.kind === 'reweight'
        ? `reweighing over ${mitigation.dimension ?? '?'}: ${Object.values(mitigation.cells ?? {})
            .map((x) => `${x.group}/${x.label} ×${x.weight.toFixed(2)} (${x.count})`)
            .join(', ')}`
        : `counterfactual augmentation over ${mitigation.dimension ?? '?'}: ${mitigation.records?.added ?? 0} swapped copies added to ${mitigation.records?.before ?? 0} training records`;
    parts.push(note(`Bias mitigation in training — ${what}.`));
  }
  const filter = store.tryReadJson<FilterSummary>(`runs/${r.runId}/evaluate/output-filter.json`);
  if (filter)
    parts.push(
      note(
        `Output filter (${filter.rules} rules) on the generated samples: ${filter.blocked} of ${filter.outputs} blocked, ${filter.rewritten} rewritten.`,
      ),
    );
  const t = r.config.training;
  const trained = trainedParametersOf(store.runDir(r.runId));
  parts.push(
    table(
      [{ title: 'Setting' }, { title: 'Value' }],
      [
        [
          'model',
          r.config.model.path ?? `preset ${r.config.model.preset ?? '?'} (seed ${r.config.model.seed})`,
        ],
        ['dataset', r.config.dataset.path],
        [
          'training',
          `lr ${t.learningRate}, batch ${t.batchSize}×${t.gradientAccumulationSteps}, ${t.maxSteps !== undefined ? `${t.maxSteps} steps` : `${t.epochs} epochs`}, ${t.lrScheduler} schedule, seed ${t.seed}`,
        ],
        ...(trained ? [['trained parameters', trained]] : []),
        ['collator', `completion-only, max length ${r.config.collator.maxLength}`],
        [
          'backend',
          Object.entries(r.backend)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join(', '),
        ],
        [
          'versions',
          Object.entries(r.versions)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        ['run folder', store.runDir(r.runId)],
      ],
    ),
  );
  return {
    id: 'run',
    title: 'Run summary',
    lead: `Run ${r.runId}, started ${r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}.`,
    html: parts.join(''),
  };
}

/** What the run's training updated (from its train/result.json), or undefined before training finished. */
export function trainedParametersOf(runDir: string): string | undefined {
  const p = readIf<Pick<TrainJobResult, 'parameters'>>(path.join(runDir, 'train', 'result.json'))?.parameters;
  return p ? trainedParameters(p) : undefined;
}

/** What training updated: a LoRA adapter on the frozen base, or every weight, with the counts. */
export function trainedParameters(p: TrainJobResult['parameters']): string {
  const count = (n: number): string => n.toLocaleString('en-US');
  if (!p.adapter) return `all ${count(p.total)} (full fine-tune)`;
  const a = p.adapter;
  return (
    `LoRA adapter (r ${a.r}, alpha ${a.alpha}, dropout ${a.dropout}, on ${a.targets.join(', ')}${a.bias === 'all' ? ', every bias trained' : a.bias === 'lora_only' ? ", the targeted layers' biases trained" : ''}): ` +
    `${count(p.trainable)} trainable of ${count(p.total)} (${((100 * p.trainable) / p.total).toFixed(2)}%), the base frozen`
  );
}

/** The whole report page of a run, from the files in its folder. */
export function buildRunReport(store: ArtifactStore, r: RunSummary): string {
  const evalResult = readIf<EvalResult>(r.paths.eval);
  const audit = readIf<AuditResult & { mitigation?: string }>(r.paths.audit);
  const metrics =
    r.paths.metrics && fs.existsSync(r.paths.metrics)
      ? parseMetricsLog(fs.readFileSync(r.paths.metrics, 'utf8'))
      : undefined;
  const sections: ReportSection[] = [
    summarySection(r, store, evalResult, audit && 'gate' in audit ? audit : undefined),
  ];
  let tail: ReportSection[] = [];
  if (evalResult) {
    const ev = evalSections(evalResult, { curves: metrics });
    tail = ev.filter((s) => s.id === 'samples');
    sections.push(...ev.filter((s) => s.id !== 'samples'));
  }
  if (audit && 'gate' in audit) {
    sections.push(
      ...auditSections(audit, {
        mitigation: audit.mitigation && audit.mitigation !== 'none' ? audit.mitigation : undefined,
      }),
    );
  }
  sections.push(...tail);
  const model = r.config.model.path ?? `GPT-Neo preset ${r.config.model.preset ?? ''}`;
  return renderReport({
    title: `ftune run ${r.runId}`,
    subtitle: `${model} fine-tuned on ${r.config.dataset.path.split(/[\\/]/).pop() ?? ''}`,
    facts: [
      ['status', r.status],
      ['duration', duration(r.seconds)],
      ['backend', String(r.backend.backend ?? r.backend.name ?? '?')],
      ['test accuracy', evalResult?.accuracy !== undefined ? pct(evalResult.accuracy) : '—'],
      ['bias gate', audit && 'gate' in audit ? (audit.passed ? 'passed' : 'failed') : '—'],
    ],
    sections,
  });
}
