// The bias audit's part of the HTML report (renderReport() of libs/eval): the gate verdict with
// its checks, the dataset audit (label share per group, chi-square), the model audit (per-group
// bars, flip-rate table, worst counterfactuals, stereotype preference), the comparison with the
// model before fine-tuning, and what the figures do not prove.
import {
  esc,
  figure,
  grid,
  groupedBarChart,
  note,
  num,
  pct,
  statCards,
  table,
  type ReportSection,
  type Stat,
} from '@ftune/eval';
import { GATE_METRICS, gateNote, type GateName } from '../gate';
import type { AuditFigures, AuditResult, ModelAudit } from '../job/audit-job';

const FIGURE_NAMES: Record<GateName, string> = {
  maxFlipRate: 'Counterfactual flip rate (worst pair)',
  maxLogLikelihoodGap: 'Mean |Δ log-likelihood| (worst pair)',
  maxDemographicParityDifference: 'Demographic parity difference',
  maxEqualizedOddsDifference: 'Equalized-odds difference',
  minDisparateImpactRatio: 'Disparate impact ratio',
  maxStereotypeDeviation: '|Stereotype preference − 50%|',
  maxDatasetLabelGap: 'Largest label-share gap in the training data',
};

const rateFigures = new Set<GateName>([
  'maxFlipRate',
  'maxDemographicParityDifference',
  'maxEqualizedOddsDifference',
  'maxStereotypeDeviation',
  'maxDatasetLabelGap',
]);
const fmtFigure = (name: GateName, v: number | null): string => (rateFigures.has(name) ? pct(v) : num(v));

function verdictHtml(a: AuditResult): string {
  const f = a.figures;
  const stats: Stat[] = [
    {
      label: 'Release gate',
      value: a.passed ? 'passed' : 'failed',
      note: gateNote(a.gate),
      tone: a.passed ? 'good' : 'bad',
    },
  ];
  const add = (name: GateName): void => {
    if (f[name] === null) return;
    const check = a.gate.checks.find((c) => c.name === name);
    stats.push({
      label: FIGURE_NAMES[name],
      value: fmtFigure(name, f[name]),
      note: check
        ? `${name.startsWith('min') ? 'at least' : 'at most'} ${fmtFigure(name, check.threshold)}`
        : 'not gated',
      tone:
        check && check.status !== 'not evaluated' ? (check.status === 'passed' ? 'good' : 'bad') : undefined,
    });
  };
  (
    [
      'maxFlipRate',
      'maxDemographicParityDifference',
      'minDisparateImpactRatio',
      'maxEqualizedOddsDifference',
      'maxStereotypeDeviation',
      'maxDatasetLabelGap',
    ] as GateName[]
  ).forEach(add);
  const checks = a.gate.checks.map((c) => [
    FIGURE_NAMES[c.name],
    c.name,
    `${c.name.startsWith('min') ? '≥' : '≤'} ${fmtFigure(c.name, c.threshold)}`,
    fmtFigure(c.name, c.value),
    {
      html:
        c.status === 'not evaluated'
          ? `<span class="badge" title="${esc(c.note ?? '')}">not evaluated</span>`
          : c.status === 'passed'
            ? '<span class="badge good">pass</span>'
            : '<span class="badge bad">fail</span>',
    },
  ]);
  return (
    statCards(stats) +
    table(
      [
        { title: 'Figure' },
        { title: 'Gate key' },
        { title: 'Threshold', numeric: true },
        { title: 'Value', numeric: true },
        { title: 'Result' },
      ],
      checks,
      'Gate checks (thresholds from the run config; a check that could not be evaluated neither passes nor fails, and a gate with no evaluated check does not pass)',
    )
  );
}

function datasetHtml(a: AuditResult): string {
  const d = a.datasetAudit;
  if (d.dimensions.length === 0)
    return note(`No group term of the term lists occurs in the ${d.records} training records.`);
  const parts: string[] = [];
  const labels = Object.keys(d.labels).sort();
  const charts = d.dimensions
    .filter((dim) => Object.keys(dim.labelShares).length >= 2 && labels.length >= 2)
    .map((dim) => {
      const groups = Object.keys(dim.labelShares).sort();
      const chart = groupedBarChart(
        groups,
        labels.map((l) => ({ name: l, values: groups.map((g) => dim.labelShares[g][l] ?? 0) })),
        {
          title: `Label share by ${dim.dimension} group (training data)`,
          max: 1,
          format: (v) => pct(v, 0),
          width: 520,
        },
      );
      const p = dim.test
        ? `χ² = ${num(dim.test.statistic, 1)}, df ${dim.test.dof}, p = ${dim.test.pValue < 1e-4 ? dim.test.pValue.toExponential(1) : num(dim.test.pValue, 4)}`
        : 'no test';
      return figure(chart, `${dim.dimension}: records mentioning exactly one group; ${p}.`);
    });
  if (charts.length) parts.push(grid(charts));
  const rows = d.dimensions.flatMap((dim) =>
    dim.gaps
      .slice(0, 2)
      .map((g) => [
        dim.dimension,
        g.label,
        `${g.high.group} ${pct(g.high.share)} (${g.high.count}/${g.high.total})`,
        `${g.low.group} ${pct(g.low.share)} (${g.low.count}/${g.low.total})`,
        pct(g.gap),
        dim.test
          ? dim.test.pValue < 1e-4
            ? dim.test.pValue.toExponential(1)
            : num(dim.test.pValue, 4)
          : '—',
      ]),
  );
  if (rows.length)
    parts.push(
      table(
        [
          { title: 'Dimension' },
          { title: 'Label' },
          { title: 'Highest share' },
          { title: 'Lowest share' },
          { title: 'Gap', numeric: true },
          { title: 'p (χ²)', numeric: true },
        ],
        rows,
        'Largest gaps in label share between groups',
      ),
    );
  const mentions = d.dimensions.map((dim) => [
    dim.dimension,
    Object.entries(dim.mentions)
      .map(([g, n]) => `${g} ${n}`)
      .join(' · '),
  ]);
  parts.push(table([{ title: 'Dimension' }, { title: 'Records mentioning each group' }], mentions));
  return parts.join('');
}

function modelHtml(m: ModelAudit, baseline: ModelAudit | null): string {
  const parts: string[] = [];
  const charts = m.fairness.map((f) => {
    const groups = f.groups.map((g) => g.group);
    const series = [
      { name: `predicted ${f.positiveLabel}`, values: f.groups.map((g) => g.positiveRate) },
      { name: 'accuracy', values: f.groups.map((g) => g.accuracy) },
    ];
    const before = baseline?.fairness.find((b) => b.dimension === f.dimension);
    if (before)
      series.push({
        name: `predicted ${f.positiveLabel}, before fine-tuning`,
        values: groups.map((g) => before.groups.find((x) => x.group === g)?.positiveRate ?? NaN),
      });
    return figure(
      groupedBarChart(groups, series, {
        title: `Per-group rates (${f.dimension}, test split)`,
        max: 1,
        format: (v) => pct(v, 0),
        width: 520,
      }),
      `${f.dimension}: parity difference ${pct(f.demographicParityDifference)}, equalized-odds difference ${pct(f.equalizedOddsDifference)}, disparate impact ${num(f.disparateImpactRatio, 2)}.`,
    );
  });
  if (charts.length) parts.push(grid(charts));
  if (m.fairness.length) {
    parts.push(
      table(
        [
          { title: 'Dimension' },
          { title: 'Group' },
          { title: 'Test examples', numeric: true },
          { title: 'Accuracy', numeric: true },
          { title: 'Positive rate', numeric: true },
          { title: 'TPR', numeric: true },
          { title: 'FPR', numeric: true },
        ],
        m.fairness.flatMap((f) =>
          f.groups.map((g) => [
            f.dimension,
            g.group,
            String(g.count),
            pct(g.accuracy),
            pct(g.positiveRate),
            pct(g.truePositiveRate),
            pct(g.falsePositiveRate),
          ]),
        ),
        `Group fairness (favourable label: ${m.fairness[0].positiveLabel})`,
      ),
    );
  }
  const cf = m.counterfactual;
  if (cf.pairs.length) {
    parts.push('<h3>Counterfactual consistency</h3>');
    parts.push(
      table(
        [
          { title: 'Dimension' },
          { title: 'Swap' },
          { title: 'Pairs', numeric: true },
          { title: 'Label flips', numeric: true },
          { title: 'Flip rate', numeric: true },
          { title: 'Mean |Δ log-lik.|', numeric: true },
        ],
        cf.pairs.map((p) => [
          p.dimension,
          `${p.from} → ${p.to}`,
          String(p.count),
          String(p.flips),
          m.labels ? pct(p.flipRate) : '—',
          num(p.meanAbsLogLikelihoodGap),
        ]),
        `${cf.examples} test examples mention a group term; each was rewritten with the term swapped (overall flip rate ${m.labels ? pct(cf.overallFlipRate) : '—'})`,
      ),
    );
    const worst = cf.worst.slice(0, 6).map((w) => [
      {
        html: `${esc(w.original.replace(/\n### Answer:\s*$/, ''))}<br><span class="note">→ ${esc(w.counterfactual.replace(/\n### Answer:\s*$/, ''))}</span>`,
      },
      m.labels ? `${w.predictedOriginal.trim()} → ${w.predictedCounterfactual.trim()}` : '—',
      num(w.logLikelihoodGap),
    ]);
    parts.push(
      table(
        [
          { title: 'Original → counterfactual' },
          { title: 'Prediction' },
          { title: 'Δ log-lik.', numeric: true },
        ],
        worst,
        'Examples the swap changes most (label flips first)',
      ),
    );
  } else {
    parts.push(
      note(
        'No test example mentions a group term with a counterpart, so counterfactual consistency was not measured.',
      ),
    );
  }
  const s = m.stereotype;
  parts.push('<h3>Stereotype preference (sentence pairs)</h3>');
  parts.push(
    table(
      [
        { title: 'Bias type' },
        { title: 'Pairs', numeric: true },
        { title: 'Prefers the stereotype', numeric: true },
        { title: 'Mean |Δ log-lik.|', numeric: true },
      ],
      [
        ...Object.entries(s.byBiasType).map(([k, v]) => [
          k,
          String(v.pairs),
          pct(v.stereotypePreference),
          num(v.meanAbsLogLikelihoodDiff),
        ]),
        ['all', String(s.pairs), pct(s.stereotypePreference), num(s.meanAbsLogLikelihoodDiff)],
      ],
      'Share of pairs whose more stereotypical sentence gets the higher log-likelihood (50% is ideal)',
    ),
  );
  return parts.join('');
}

function comparisonHtml(model: AuditFigures, before: AuditFigures): string {
  const rows = (Object.keys(FIGURE_NAMES) as GateName[])
    .filter((k) => k !== 'maxDatasetLabelGap' && (model[k] !== null || before[k] !== null))
    .map((k) => {
      const a = before[k];
      const b = model[k];
      const worse = a !== null && b !== null && (k.startsWith('min') ? b < a : b > a);
      const change =
        a === null || b === null
          ? '—'
          : rateFigures.has(k)
            ? `${b - a >= 0 ? '+' : '−'}${(Math.abs(b - a) * 100).toFixed(1)} pp`
            : `${b - a >= 0 ? '+' : '−'}${num(Math.abs(b - a))}`;
      return [
        FIGURE_NAMES[k],
        fmtFigure(k, a),
        fmtFigure(k, b),
        { html: `<span class="${worse ? 'bad' : 'good'}">${esc(change)}</span>` },
      ];
    });
  return table(
    [
      { title: 'Figure' },
      { title: 'Before fine-tuning', numeric: true },
      { title: 'After', numeric: true },
      { title: 'Change', numeric: true },
    ],
    rows,
    'Did fine-tuning add or remove bias? (red: the figure moved away from fairness)',
  );
}

export const AUDIT_LIMITS =
  'A passing audit does not prove the model is fair. It measures only the groups and terms in the term lists (English, binary gender, a few names), ' +
  'only on this test split, and only through word swaps that can break grammar. Group metrics on small groups are noisy; ' +
  'the sentence pairs are few and written for this project; parity metrics ignore legitimate differences between groups. ' +
  'Harms outside these figures (toxicity, stereotypes in free generation, intersectional groups) are not measured.';

/** The bias-audit section(s) of the report. */
export function auditSections(a: AuditResult, options: { mitigation?: string } = {}): ReportSection[] {
  const parts = [verdictHtml(a)];
  if (!a.passed) parts.push(`<p class="bad">${a.gate.reasons.map(esc).join('<br>')}</p>`);
  if (options.mitigation) parts.push(note(`Mitigation applied in training: ${options.mitigation}.`));
  parts.push('<h3>Training data</h3>', datasetHtml(a));
  if (a.model) parts.push('<h3>Fine-tuned model</h3>', modelHtml(a.model, a.baseline));
  if (a.model && a.baselineFigures)
    parts.push('<h3>Before and after fine-tuning</h3>', comparisonHtml(a.figures, a.baselineFigures));
  parts.push(note(AUDIT_LIMITS));
  return [
    {
      id: 'bias-audit',
      title: 'Bias audit',
      lead: `Gate ${a.passed ? 'passed' : 'failed'}: ${Object.keys(GATE_METRICS).length} figures can be gated; ${a.gate.checks.length} thresholds were set.`,
      html: parts.join(''),
    },
  ];
}
