import { describe, expect, it } from 'vitest';
import { evaluate } from '../evaluate';
import { demoEvaluation, fakeModel } from '../testing';
import { barList, groupedBarChart } from './charts/bars';
import { confusionHeatmap } from './charts/heatmap';
import { lineChart } from './charts/lines';
import { niceTicks } from './charts/scale';
import { evalSections } from './eval-section';
import { esc } from './html';
import { renderReport, slug } from './page';
import { parseMetricsLog } from './training-curves';
import { externalReferences, svgFragments, xmlProblems } from './xml-check';

describe('report charts', () => {
  it('draw well-formed SVG with escaped labels', () => {
    const charts = [
      confusionHeatmap(
        ['a<b', 'c & d'],
        [
          [3, 1],
          [0, 2],
        ],
      ),
      groupedBarChart(['x"y', 'z'], [{ name: 'F1', values: [0.5, 1] }], { title: 'bars', max: 1 }),
      barList([{ label: '<model>', value: 0.8, low: 0.7, high: 0.9, highlight: true }], { title: 'list' }),
      lineChart(
        [
          {
            name: 'loss',
            points: [
              [1, 2],
              [2, 1.5],
              [3, NaN],
            ],
          },
        ],
        { title: 'curve', xLabel: 'step' },
      ),
    ];
    for (const svg of charts) {
      expect(xmlProblems(svg)).toEqual([]);
      expect(svg).not.toContain('<b');
    }
    expect(charts[0]).toContain('a&lt;b');
    expect(charts[0]).toContain('c &amp; d');
  });

  it('draws one cell per confusion count with the row share', () => {
    const svg = confusionHeatmap(
      ['neg', 'pos'],
      [
        [3, 1],
        [0, 2],
      ],
    );
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain('>75%<');
    expect(svg).toContain('neg → pos: 1 (25.0% of neg)');
  });

  it('picks round ticks', () => {
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 118, 6)).toEqual([0, 20, 40, 60, 80, 100, 120]);
  });
});

describe('xml checks', () => {
  it('find unbalanced tags, bare ampersands and outside references', () => {
    expect(xmlProblems('<svg><g></svg>')).not.toEqual([]);
    expect(xmlProblems('<svg><text>a & b</text></svg>')).toEqual(["unescaped '&' at 13"]);
    expect(xmlProblems('<svg><rect x="1"/><text>a &amp; b</text></svg>')).toEqual([]);
    expect(
      externalReferences(
        '<img src="https://x/y.png"><script src="a.js"></script><style>@import "x.css"</style>',
      ),
    ).toHaveLength(3);
  });
});

describe('parseMetricsLog', () => {
  it('reads training and validation points and skips broken lines', () => {
    const c = parseMetricsLog(
      '{"step":1,"loss":2.5,"token_accuracy":0.3}\nnot json\n{"step":2,"eval_loss":2.1,"eval_token_accuracy":0.4}\r\n{"loss":1}\n\n',
    );
    expect(c.loss).toEqual([[1, 2.5]]);
    expect(c.evalLoss).toEqual([[2, 2.1]]);
    expect(c.tokenAccuracy).toEqual([[1, 0.3]]);
    expect(c.evalTokenAccuracy).toEqual([[2, 0.4]]);
    expect(c.skipped).toBe(2);
  });
});

describe('renderReport', () => {
  it('builds a self-contained page whose charts are well-formed SVG', async () => {
    const { result, metricsLog } = await demoEvaluation();
    const sections = evalSections(result, { curves: parseMetricsLog(metricsLog) });
    const html = renderReport({
      title: 'Run <demo>',
      subtitle: 'a test',
      facts: [['model', 'tiny']],
      sections: [{ title: 'Summary', html: '<p>ok</p>' }, ...sections],
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>Run &lt;demo&gt;</title>');
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//);
    const svgs = svgFragments(html);
    // confusion heat map, per-label bars, reliability bars, baseline bars, loss and accuracy curves
    expect(svgs.length).toBe(6);
    for (const svg of svgs) expect(xmlProblems(svg)).toEqual([]);
    expect(html).toContain('aria-label="Confusion matrix"');
    expect(html).toContain('aria-label="Training and validation loss"');
    for (const id of ['summary', 'evaluation', 'training', 'errors', 'samples'])
      expect(html).toContain(`<section class="card" id="${id}">`);
    expect(html).toContain('href="#errors"');
    expect(html).toMatch(
      /Fine-tuning took accuracy from \d+\.\d% to \d+\.\d%\. The model beats always answering “positive” by \+\d+\.\d pp \(95% interval/,
    );
  });

  it('gives sections unique anchors and escapes their titles', () => {
    const html = renderReport({
      title: 't',
      sections: [
        { title: 'A & B', html: '' },
        { title: 'A & B', html: '' },
      ],
    });
    expect(html).toContain('id="a-b"');
    expect(html).toContain('id="a-b-2"');
    expect(html).toContain(`<h2>${esc('A & B')}</h2>`);
    expect(slug('Évaluation — test!')).toBe('evaluation-test');
  });
});

describe('evalSections (generations that end on EOS)', () => {
  it('states the share of greedy generations that ended on their own, after and before fine-tuning', async () => {
    const examples = ['good film', 'bad film', 'good plot', 'dull plot'].map((prompt) => ({
      prompt,
      completion: ' x',
    }));
    const logProbs = () => [-0.7];
    const model = fakeModel({
      name: 'tuned',
      logProbs,
      generate: () => ' x',
      stops: (p) => p !== 'dull plot',
    });
    const start = fakeModel({ name: 'start', logProbs, generate: () => ' x x x', stops: () => false });
    const result = await evaluate(
      { examples, model, start },
      { samples: 1, maxNewTokens: 16, task: 'generation' },
    );
    const html = renderReport({ title: 'stops', sections: evalSections(result) });
    expect(html).toContain(
      'Ended on their own (EOS before 16 new tokens, greedy, 4 test prompts): 75% after fine-tuning, 0% before.',
    );
  });
});

describe('evalSections (open-ended data)', () => {
  it('shows generation metrics, token-F1 baselines and the worst generations', async () => {
    const answers: Record<string, string> = { 'Q1?': 'Paris', 'Q2?': 'Saturn', 'Q3?': 'Shakespeare' };
    const model = fakeModel({
      name: 'qa',
      logProbs: (_p, c) => c.split(' ').map(() => -0.7),
      generate: (p) => answers[p],
    });
    const examples = [
      { prompt: 'Q1?', completion: 'Paris' },
      { prompt: 'Q2?', completion: 'Jupiter' },
      { prompt: 'Q3?', completion: 'William Shakespeare' },
    ];
    const result = await evaluate({ examples, model, baselines: [model] }, { samples: 2 });
    const html = renderReport({ title: 'qa', sections: evalSections(result) });
    for (const text of ['Exact match', 'Token F1', 'ROUGE-L', 'BLEU', 'lowest token F1', 'Saturn'])
      expect(html).toContain(text);
    expect(html).not.toContain('Confusion matrix');
    for (const svg of svgFragments(html)) expect(xmlProblems(svg)).toEqual([]);
    expect(externalReferences(html)).toEqual([]);
  });
});
