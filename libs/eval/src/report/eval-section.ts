// The evaluation's part of the run report: key figures and baselines, task metrics with the
// confusion heat map and per-label bars, error analysis, generation metrics, training curves and
// qualitative samples — each a ReportSection for renderReport().
import type { EvalResult } from '../result';
import { barList, groupedBarChart, type BarItem } from './charts/bars';
import { confusionHeatmap } from './charts/heatmap';
import { figure, grid, note, statCards, table, textBlock, type Stat } from './components';
import { clip, esc, num, pct, pp } from './html';
import type { ReportSection } from './page';
import { trainingCurvesHtml, type TrainingCurves } from './training-curves';

const show = (label: string): string => label.trim() || JSON.stringify(label);

/** The verdict in one or two sentences, for a reader who stops at the top. */
export function evalVerdict(e: EvalResult): string {
  const parts: string[] = [];
  const majority = e.baselines.find((b) => b.kind === 'majority');
  const start = e.baselines.find((b) => b.kind === 'start');
  const interval = (c: NonNullable<typeof majority>['comparison']): string =>
    c ? ` (${Math.round(c.confidence * 100)}% interval ${pp(c.ci_low)} to ${pp(c.ci_high)})` : '';
  if (e.accuracy !== undefined) {
    if (start?.accuracy !== undefined) {
      parts.push(`Fine-tuning took accuracy from ${pct(start.accuracy)} to ${pct(e.accuracy)}.`);
    } else {
      parts.push(`Accuracy is ${pct(e.accuracy)}.`);
    }
    if (majority?.accuracy !== undefined && majority.comparison) {
      const c = majority.comparison;
      const verdict = c.ci_low > 0 ? 'beats' : c.ci_high < 0 ? 'falls below' : 'is not distinguishable from';
      parts.push(
        `The model ${verdict} always answering “${show(majority.label ?? '')}” by ${pp(c.difference)}${interval(c)}.`,
      );
    }
  } else if (e.generation) {
    parts.push(
      `Greedy generations match the reference exactly in ${pct(e.generation.exact_match)} of ${e.generation.examples} examples (token F1 ${num(e.generation.token_f1)}).`,
    );
    if (start?.comparison)
      parts.push(
        `Against the model before fine-tuning, token F1 changed by ${num(start.comparison.difference)}.`,
      );
  }
  return parts.length ? `<p class="verdict">${esc(parts.join(' '))}</p>` : '';
}

function keyFigures(e: EvalResult): string {
  const stats: Stat[] = [];
  if (e.accuracy !== undefined) {
    const base = e.baseline_accuracy;
    stats.push({
      label: 'Accuracy',
      value: pct(e.accuracy),
      note: base !== undefined ? `${pp(e.accuracy - base)} vs majority (${pct(base)})` : undefined,
      tone: base !== undefined ? (e.accuracy > base ? 'good' : 'bad') : undefined,
    });
  }
  if (e.macro_f1 !== undefined) stats.push({ label: 'Macro-F1', value: num(e.macro_f1) });
  if (e.start_accuracy !== undefined && e.accuracy !== undefined) {
    stats.push({
      label: 'Before fine-tuning',
      value: pct(e.start_accuracy),
      note: `${pp(e.accuracy - e.start_accuracy)} from fine-tuning`,
      tone: e.accuracy > e.start_accuracy ? 'good' : 'bad',
    });
  }
  stats.push({ label: 'Test loss', value: num(e.loss), note: 'nats per completion token' });
  stats.push({ label: 'Perplexity', value: num(e.perplexity, 2) });
  stats.push({ label: 'Token accuracy', value: pct(e.token_accuracy) });
  if (e.classification)
    stats.push({
      label: 'Calibration error',
      value: num(e.classification.calibration.ece),
      note: 'ECE, 0 = calibrated',
    });
  if (e.generation) {
    stats.push({ label: 'Exact match', value: pct(e.generation.exact_match) });
    stats.push({ label: 'Token F1', value: num(e.generation.token_f1) });
    stats.push({ label: 'ROUGE-L', value: num(e.generation.rouge_l) });
    stats.push({ label: 'BLEU', value: num(e.generation.bleu.score, 1), note: 'corpus, 0–100' });
  }
  return statCards(stats);
}

function baselinesHtml(e: EvalResult): string {
  if (e.baselines.length === 0) return note('No baseline was evaluated.');
  const metric = e.task === 'classification' ? 'accuracy' : 'token_f1';
  const own = metric === 'accuracy' ? e.accuracy : e.generation?.token_f1;
  const parts: string[] = [];
  if (own !== undefined) {
    const items: BarItem[] = [{ label: `${e.model} (evaluated)`, value: own, highlight: true }];
    for (const b of e.baselines) {
      const v = metric === 'accuracy' ? b.accuracy : b.token_f1;
      if (v !== undefined) items.push({ label: b.name, value: v });
    }
    parts.push(
      figure(
        barList(items, { title: `${metric === 'accuracy' ? 'Accuracy' : 'Token F1'} beside the baselines` }),
        `${metric === 'accuracy' ? 'Accuracy' : 'Mean token F1'} on the same test examples.`,
      ),
    );
  }
  const rows = e.baselines.map((b) => {
    const c = b.comparison;
    const diff = c
      ? {
          html: `<span class="${c.ci_low > 0 ? 'good' : c.ci_high < 0 ? 'bad' : ''}">${esc(pp(c.difference))}</span> <span class="note">[${esc(pp(c.ci_low))}, ${esc(pp(c.ci_high))}]</span>`,
        }
      : '—';
    return [
      b.name,
      b.kind,
      metric === 'accuracy' ? pct(b.accuracy) : num(b.token_f1),
      b.macro_f1 !== undefined ? num(b.macro_f1) : '—',
      num(b.loss ?? null),
      diff,
    ];
  });
  const c0 = e.baselines.find((b) => b.comparison)?.comparison;
  parts.push(
    table(
      [
        { title: 'baseline' },
        { title: 'kind' },
        { title: metric === 'accuracy' ? 'accuracy' : 'token F1', numeric: true },
        { title: 'macro-F1', numeric: true },
        { title: 'loss', numeric: true },
        { title: `model − baseline [${c0 ? Math.round(c0.confidence * 100) : 95}% CI]`, numeric: true },
      ],
      rows,
    ),
  );
  if (c0) {
    parts.push(
      note(
        `Paired bootstrap over test examples: ${c0.resamples} resamples, seed ${c0.seed}, percentile interval. An interval above 0 means the evaluated model is better beyond resampling noise.`,
      ),
    );
  }
  return parts.join('');
}

function classificationHtml(e: EvalResult): string {
  const c = e.classification;
  if (!c) return '';
  const labels = c.labels.map(show);
  const charts = grid([
    figure(
      confusionHeatmap(c.labels, c.confusion),
      'Rows: reference label; columns: predicted label. Shade = share of the row; blue = correct, red = confused.',
    ),
    figure(
      groupedBarChart(
        labels,
        [
          { name: 'precision', values: c.per_label.map((m) => m.precision) },
          { name: 'recall', values: c.per_label.map((m) => m.recall) },
          { name: 'F1', values: c.per_label.map((m) => m.f1) },
        ],
        { title: 'Per-label precision, recall and F1', max: 1, width: 520 },
      ),
      'Per-label precision, recall and F1 (0 when a label is never predicted or never present).',
    ),
  ]);
  const perLabel = table(
    [
      { title: 'label' },
      { title: 'support', numeric: true },
      { title: 'predicted', numeric: true },
      { title: 'precision', numeric: true },
      { title: 'recall', numeric: true },
      { title: 'F1', numeric: true },
    ],
    c.per_label.map((m) => [
      show(m.label),
      String(m.support),
      String(m.predicted),
      num(m.precision),
      num(m.recall),
      num(m.f1),
    ]),
  );
  const used = c.calibration.bins.filter((b) => b.count > 0);
  const reliability = figure(
    groupedBarChart(
      used.map((b) => `${b.lower.toFixed(1)}–${b.upper.toFixed(1)}`),
      [
        { name: 'accuracy', values: used.map((b) => b.accuracy ?? 0) },
        { name: 'mean confidence', values: used.map((b) => b.confidence ?? 0), color: '#9aa5b1' },
      ],
      { title: 'Reliability by confidence bin', max: 1, width: 520 },
    ),
    `Calibration: ECE ${num(c.calibration.ece)}, MCE ${num(c.calibration.mce)} over ${c.calibration.bins.length} equal-width confidence bins (non-empty bins shown). Equal bars = calibrated.`,
  );
  return `<h3>Per label</h3>${charts}${perLabel}<h3>Calibration</h3>${reliability}`;
}

function analysisHtml(e: EvalResult): string {
  const a = e.analysis;
  const parts: string[] = [];
  if (a.top_confusions && a.top_confusions.length > 0) {
    parts.push('<h3>Largest confusions</h3>');
    parts.push(
      table(
        [
          { title: 'reference' },
          { title: 'predicted as' },
          { title: 'count', numeric: true },
          { title: 'share of reference', numeric: true },
        ],
        a.top_confusions.map((x) => [show(x.gold), show(x.predicted), String(x.count), pct(x.share_of_gold)]),
      ),
    );
  }
  if (a.by_length.length > 0) {
    parts.push('<h3>By input length</h3>');
    const hasAcc = a.by_length.some((b) => b.accuracy !== undefined);
    const hasF1 = a.by_length.some((b) => b.token_f1 !== undefined);
    parts.push(
      table(
        [
          { title: 'prompt tokens' },
          { title: 'examples', numeric: true },
          { title: 'loss', numeric: true },
          ...(hasAcc ? [{ title: 'accuracy', numeric: true }] : []),
          ...(hasF1 ? [{ title: 'token F1', numeric: true }] : []),
        ],
        a.by_length.map((b) => [
          b.min_tokens === b.max_tokens ? String(b.min_tokens) : `${b.min_tokens}–${b.max_tokens}`,
          String(b.examples),
          num(b.loss),
          ...(hasAcc ? [pct(b.accuracy)] : []),
          ...(hasF1 ? [num(b.token_f1)] : []),
        ]),
      ),
    );
  }
  if (a.worst_examples.length > 0) {
    const by = {
      reference_probability: 'lowest probability of the reference label',
      token_f1: 'lowest token F1',
      loss: 'highest loss',
    }[a.worst_by];
    parts.push(`<h3>Worst-scored examples</h3>`);
    parts.push(note(`Ranked by ${by}.`));
    parts.push(
      table(
        [
          { title: 'line', numeric: true },
          { title: 'prompt' },
          { title: 'reference' },
          { title: 'model' },
          {
            title:
              a.worst_by === 'reference_probability'
                ? 'p(reference)'
                : a.worst_by === 'token_f1'
                  ? 'token F1'
                  : 'loss',
            numeric: true,
          },
        ],
        a.worst_examples.map((w) => [
          String(w.line ?? w.index + 1),
          clip(w.prompt, 140),
          clip(w.reference, 60),
          clip(w.prediction ?? '', 60),
          a.worst_by === 'reference_probability'
            ? num(w.reference_probability)
            : a.worst_by === 'token_f1'
              ? num(w.token_f1)
              : num(w.loss),
        ]),
      ),
    );
  }
  return parts.join('');
}

function samplesHtml(e: EvalResult): string {
  const s = e.samples;
  if (s.items.length === 0)
    return note('No samples were generated (the model cannot generate, or 0 samples were asked for).');
  const sampling = s.sampled;
  const stop = e.stopping;
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const stopNote = stop
    ? note(
        `Ended on their own (EOS before ${stop.max_new_tokens} new tokens, greedy, ${stop.prompts} test prompts): ` +
          `${pct(stop.model)} after fine-tuning` +
          (stop.start === undefined ? '.' : `, ${pct(stop.start)} before.`) +
          ' A model that never learned EOS runs on to the token limit.',
      )
    : '';
  const items = s.items
    .map(
      (it) =>
        `<div class="sample"><div class="prompt"><div class="head">Prompt · test line ${esc(String(it.line ?? it.index + 1))}</div>${textBlock(it.prompt)}</div>` +
        `<div><div class="head">Reference</div>${textBlock(it.reference)}</div>` +
        `<div><div class="head">Greedy</div>${textBlock(it.greedy)}</div>` +
        `<div><div class="head">Sampled</div>${textBlock(it.sampled)}</div></div>`,
    )
    .join('');
  return (
    note(
      `Greedy decoding and sampling (temperature ${sampling.temperature ?? 0}, top-k ${sampling.topK ?? 0}, top-p ${sampling.topP ?? 1}, seed ${sampling.seed ?? 0} + sample position), at most ${s.greedy.maxNewTokens} new tokens, on test prompts chosen with seed ${e.seed}.`,
    ) +
    stopNote +
    items
  );
}

export interface EvalSectionOptions {
  /** Curves from the training run's metrics.jsonl. */
  curves?: TrainingCurves;
}

/** The evaluation's report sections, in reading order. */
export function evalSections(e: EvalResult, options: EvalSectionOptions = {}): ReportSection[] {
  const what =
    e.task === 'classification'
      ? `classification over ${e.labels?.length ?? 0} labels, scored by likelihood`
      : 'open-ended generation';
  const sections: ReportSection[] = [
    {
      id: 'evaluation',
      title: 'Evaluation',
      lead: `${e.model} on ${e.examples} held-out test examples (${what}).`,
      html: evalVerdict(e) + keyFigures(e) + `<h3>Baselines</h3>` + baselinesHtml(e),
    },
  ];
  if (options.curves)
    sections.push({
      id: 'training',
      title: 'Training curves',
      lead: 'From the training run’s metrics.jsonl.',
      html: trainingCurvesHtml(options.curves),
    });
  const errors = classificationHtml(e) + analysisHtml(e);
  if (errors)
    sections.push({
      id: 'errors',
      title: 'Where the model is weak',
      lead: 'Task metrics per label, the confusions, and the examples it scored worst.',
      html: errors,
    });
  sections.push({
    id: 'samples',
    title: 'Generated samples',
    lead: 'Generations beside the reference completion, for a person to read.',
    html: samplesHtml(e),
  });
  return sections;
}
