import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate';
import type { EvalExample } from './data/examples';
import { fakeModel } from './testing';

const POS = ' positive';
const NEG = ' negative';
const ln = Math.log;

// Gold labels; the fine-tuned fake believes "good" means positive, so examples 5 and 6 go wrong.
const examples: EvalExample[] = [
  { prompt: 'good film', completion: POS, line: 1 },
  { prompt: 'good plot', completion: POS, line: 2 },
  { prompt: 'bad film', completion: NEG, line: 3 },
  { prompt: 'bad acting', completion: NEG, line: 4 },
  { prompt: 'good but far too long', completion: NEG, line: 5 },
  { prompt: 'not bad', completion: POS, line: 6 },
];

const tuned = fakeModel({
  name: 'tuned',
  logProbs: (p, c) => {
    const good = p.includes('good');
    return [c === POS ? ln(good ? 0.8 : 0.3) : ln(good ? 0.2 : 0.6)];
  },
  generate: (p, o) => (o.temperature ? `sampled ${o.seed}` : `greedy ${p}`),
});
const start = fakeModel({ name: 'start', logProbs: () => [ln(0.5)] });

describe('evaluate (classification data)', () => {
  it('scores labels by likelihood and reports the hand-computed figures', async () => {
    const e = await evaluate(
      { examples, model: tuned, start },
      { trainCompletions: [POS, POS, POS, NEG], samples: 2, seed: 3, bootstrapResamples: 200 },
    );
    expect(e.task).toBe('classification');
    expect(e.labels).toEqual([NEG, POS]);
    expect(e.accuracy).toBeCloseTo(4 / 6, 12);
    // per label: negative P 2/3 R 2/3; positive P 2/3 R 2/3 → macro-F1 2/3
    expect(e.macro_f1).toBeCloseTo(2 / 3, 12);
    expect(e.classification?.confusion).toEqual([
      [2, 1],
      [1, 2],
    ]);
    // loss over the reference completions' single tokens
    expect(e.loss).toBeCloseTo(-(2 * ln(0.8) + 2 * ln(0.6) + ln(0.2) + ln(0.3)) / 6, 12);
    expect(e.perplexity).toBeCloseTo(Math.exp(e.loss as number), 12);
    // confidences: 0.8 on "good" prompts (2 of 3 right), 2/3 elsewhere (2 of 3 right)
    expect(e.classification?.calibration.ece).toBeCloseTo(0.5 * Math.abs(2 / 3 - 0.8), 12);
  });

  it('puts the majority label and the starting model beside it with paired bootstrap intervals', async () => {
    const e = await evaluate(
      { examples, model: tuned, start },
      { trainCompletions: [POS, POS, POS, NEG], seed: 3, samples: 0 },
    );
    const [majority, before] = e.baselines;
    expect(majority).toMatchObject({ kind: 'majority', label: POS, accuracy: 0.5 });
    expect(e.baseline_accuracy).toBe(0.5);
    // tuned right on 1,2,3,4; majority (positive) right on 1,2,6 → difference 1/6
    expect(majority.comparison?.difference).toBeCloseTo(1 / 6, 12);
    expect(majority.comparison?.metric).toBe('accuracy');
    // the start model ties everywhere → the first label, negative
    expect(before).toMatchObject({ kind: 'start', name: 'start', accuracy: 0.5 });
    expect(e.start_accuracy).toBe(0.5);
    expect(before.loss).toBeCloseTo(Math.LN2, 12);
    const again = await evaluate(
      { examples, model: tuned, start },
      { trainCompletions: [POS, POS, POS, NEG], seed: 3, samples: 0 },
    );
    expect(again.baselines).toEqual(e.baselines);
  });

  it('lists the worst examples, the largest confusions and length buckets', async () => {
    const e = await evaluate({ examples, model: tuned }, { samples: 0, worstExamples: 2, lengthBuckets: 2 });
    expect(e.analysis.worst_by).toBe('reference_probability');
    expect(e.analysis.worst_examples.map((w) => w.line)).toEqual([5, 6]);
    expect(e.analysis.worst_examples[0].reference_probability).toBeCloseTo(0.2, 12);
    expect(e.analysis.worst_examples[0].prediction).toBe(POS);
    expect(e.analysis.top_confusions).toEqual([
      { gold: NEG, predicted: POS, count: 1, share_of_gold: 1 / 3 },
      { gold: POS, predicted: NEG, count: 1, share_of_gold: 1 / 3 },
    ]);
    // prompts of 2 words ×5 and 5 words ×1: the equal lengths stay together
    expect(e.analysis.by_length.map((b) => [b.min_tokens, b.max_tokens, b.examples])).toEqual([
      [2, 2, 5],
      [5, 5, 1],
    ]);
    expect(e.analysis.by_length[1].accuracy).toBe(0);
    // without training completions the majority comes from the test split (3 vs 3: the first label)
    expect(e.baselines[0].label).toBe(NEG);
  });

  it('writes seeded greedy and sampled samples beside the reference', async () => {
    const e = await evaluate({ examples, model: tuned }, { samples: 3, seed: 11 });
    const again = await evaluate({ examples, model: tuned }, { samples: 3, seed: 11 });
    expect(e.samples.items).toEqual(again.samples.items);
    expect(e.samples.items).toHaveLength(3);
    const first = e.samples.items[0];
    expect(first.greedy).toBe(`greedy ${first.prompt}`);
    expect(first.sampled).toBe('sampled 11');
    expect(e.samples.items[2].sampled).toBe('sampled 13');
    expect(e.samples.sampled).toMatchObject({ temperature: 0.8, topK: 50, topP: 0.95 });
  });

  it('reports the share of greedy generations that ended on EOS, after and before fine-tuning', async () => {
    // the tuned model stops after the label on the three "good" prompts; the start model never stops
    const stopping = fakeModel({
      name: 'tuned',
      logProbs: () => [ln(0.5)],
      generate: () => POS,
      stops: (p) => p.includes('good'),
    });
    const never = fakeModel({
      name: 'start',
      logProbs: () => [ln(0.5)],
      generate: () => POS,
      stops: () => false,
    });
    const e = await evaluate({ examples, model: stopping, start: never }, { samples: 0, maxNewTokens: 8 });
    expect(e.stopping).toEqual({ prompts: 6, max_new_tokens: 8, model: 0.5, start: 0 });
    // the first 4 prompts of the seeded order only; no start model, no "before"
    const some = await evaluate({ examples, model: stopping }, { samples: 0, stopPrompts: 4, seed: 2 });
    expect(some.stopping?.prompts).toBe(4);
    expect(some.stopping?.start).toBeUndefined();
    expect([0, 0.25, 0.5, 0.75]).toContain(some.stopping?.model);
    // a generator that cannot tell how it ended gives no share at all
    expect((await evaluate({ examples, model: tuned }, { samples: 0 })).stopping).toBeUndefined();
  });

  it('refuses an empty split, an empty label set and a reference outside the labels', async () => {
    await expect(evaluate({ examples: [], model: tuned })).rejects.toThrow(/no example/);
    await expect(
      evaluate({ examples, model: tuned }, { task: 'classification', labels: [] }),
    ).rejects.toThrow(/label set is empty/);
    await expect(evaluate({ examples, model: tuned }, { labels: [POS] })).rejects.toThrow(
      /" negative" is not one of the candidate labels/,
    );
  });
});

describe('evaluate (open-ended data)', () => {
  const qa: EvalExample[] = [
    { prompt: 'Capital of France?', completion: 'Paris' },
    { prompt: 'Largest planet?', completion: 'Jupiter' },
    { prompt: 'Author of Hamlet?', completion: 'William Shakespeare' },
  ];
  const answers: Record<string, string> = {
    'Capital of France?': 'paris.',
    'Largest planet?': 'Saturn',
    'Author of Hamlet?': 'Shakespeare',
  };
  const model = fakeModel({
    name: 'qa',
    logProbs: (_p, c) => c.split(' ').map(() => ln(0.5)),
    generate: (p) => answers[p],
  });

  it('generates greedily and reports EM, token F1, ROUGE-L and BLEU', async () => {
    const e = await evaluate({ examples: qa, model, baselines: [model] }, { samples: 1 });
    expect(e.task).toBe('generation');
    expect(e.accuracy).toBeUndefined();
    expect(e.generation?.exact_match).toBeCloseTo(1 / 3, 12);
    expect(e.generation?.token_f1).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(e.generation?.rouge_l).toBeCloseTo((1 + 0 + 2 / 3) / 3, 12);
    expect(e.generation?.decoding).toEqual({ maxNewTokens: 64 });
    expect(e.loss).toBeCloseTo(Math.LN2, 12);
    expect(e.analysis.worst_by).toBe('token_f1');
    expect(e.analysis.worst_examples[0].prediction).toBe('Saturn');
    expect(e.baselines[0].comparison).toMatchObject({
      metric: 'token_f1',
      difference: 0,
      ci_low: 0,
      ci_high: 0,
    });
  });
});

describe('evaluate (task detection)', () => {
  it('counts the training completions when deciding whether completions are labels', async () => {
    const few: EvalExample[] = [
      { prompt: 'good', completion: POS },
      { prompt: 'bad', completion: NEG },
      { prompt: 'fine', completion: POS },
    ];
    expect((await evaluate({ examples: few, model: tuned }, { samples: 0 })).task).toBe('generation');
    const e = await evaluate(
      { examples: few, model: tuned },
      { samples: 0, trainCompletions: [POS, NEG, POS, NEG] },
    );
    expect(e.task).toBe('classification');
  });
});
