// Fakes for specs (here and in other libs): a model whose token log-probabilities and generations
// are given as functions, so figures can be checked against hand-computed values.
import { SeededRandom } from '@ftune/common';
import { evaluate } from './evaluate';
import type { EvalResult } from './result';
import type { EvalModel, GenerateOptions, Generation, TokenScores } from './scoring/scorer';

export interface FakeModelSpec {
  name: string;
  /** Log-probability of each completion token; tokens are the completion's whitespace-separated words. */
  logProbs: (prompt: string, completion: string) => number[];
  /** Argmax hits per token (default: log-prob > ln 0.5). */
  correct?: (prompt: string, completion: string) => boolean[];
  generate?: (prompt: string, options: GenerateOptions) => string;
  /** Whether the generation for `prompt` ends on EOS before the token limit (absent: the generator cannot tell). */
  stops?: (prompt: string) => boolean;
}

/** Whitespace word count, the fakes' notion of tokens. */
export function fakeTokenCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

export function fakeModel(spec: FakeModelSpec): EvalModel & { calls: number } {
  const model = {
    name: spec.name,
    calls: 0,
    scorer: {
      score: (requests: readonly { prompt: string; completion: string }[]): Promise<TokenScores[]> => {
        model.calls++;
        return Promise.resolve(
          requests.map(({ prompt, completion }) => {
            const logProbs = spec.logProbs(prompt, completion);
            const correct = spec.correct
              ? spec.correct(prompt, completion)
              : logProbs.map((lp) => lp > Math.log(0.5));
            return { logProbs, correct, promptTokens: fakeTokenCount(prompt) };
          }),
        );
      },
    },
    generator: spec.generate
      ? {
          generate: (prompt: string, options: GenerateOptions): Promise<string> =>
            Promise.resolve(spec.generate?.(prompt, options) ?? ''),
          ...(spec.stops && {
            generateWithEnd: (prompt: string, options: GenerateOptions): Promise<Generation> =>
              Promise.resolve({
                text: spec.generate?.(prompt, options) ?? '',
                stopped: spec.stops?.(prompt) ?? false,
              }),
          }),
        }
      : undefined,
  };
  return model;
}

/**
 * A realistic evaluation on synthetic data (3 labels, 90 examples, a start model and another
 * baseline) with training curves: material for report specs and the report check.
 */
export async function demoEvaluation(): Promise<{ result: EvalResult; metricsLog: string }> {
  const labels = [' negative', ' neutral', ' positive'];
  const rng = new SeededRandom(5);
  const words = [
    'plot',
    'acting',
    'music',
    'pacing',
    'ending',
    'cast',
    'script',
    'camera',
    'story',
    'dialogue',
  ];
  const examples = Array.from({ length: 90 }, (_, i) => {
    const gold = labels[i % 3];
    const n = 3 + rng.int(30);
    const prompt = `Review: ${Array.from({ length: n }, () => words[rng.int(words.length)]).join(' ')}\nSentiment:`;
    return { prompt, completion: gold, line: i + 1 };
  });
  const goldOf = new Map(examples.map((e) => [e.prompt, e.completion]));
  const model = (name: string, skill: number, seed: number): EvalModel => {
    const noise = new Map<string, number[]>();
    const r = new SeededRandom(seed);
    return fakeModel({
      name,
      logProbs: (prompt, completion) => {
        if (!noise.has(prompt))
          noise.set(
            prompt,
            labels.map(() => r.next()),
          );
        const k = labels.indexOf(completion);
        const base = completion === goldOf.get(prompt) ? skill : 0;
        // neutral is the hard label: the model leans to positive there
        const lean = goldOf.get(prompt) === ' neutral' && completion === ' positive' ? skill * 0.8 : 0;
        return [Math.log(0.05 + (0.9 * Math.min(1, (noise.get(prompt)?.[k] ?? 0) * 0.5 + base + lean)) / 2)];
      },
      correct: (prompt, completion) => [
        completion === goldOf.get(prompt) && (noise.get(prompt)?.[0] ?? 0) < skill + 0.3,
      ],
      generate: (prompt, o) =>
        o.temperature ? ((o.seed ?? 0) % 2 ? ' positive, mostly' : ' neutral') : (goldOf.get(prompt) ?? ''),
    });
  };
  const result = await evaluate(
    {
      examples,
      model: model('runs/demo/model', 0.6, 1),
      start: model('gpt-neo (before fine-tuning)', 0.05, 2),
      baselines: [model('runs/previous/model', 0.4, 3)],
    },
    { trainCompletions: [...labels, ' positive'], samples: 3, seed: 0 },
  );
  const lines: string[] = [];
  for (let step = 1; step <= 120; step++) {
    const loss = 0.45 + 2.6 * Math.exp(-step / 25) + (rng.next() - 0.5) * 0.12;
    lines.push(
      JSON.stringify({
        step,
        epoch: step / 40,
        loss,
        token_accuracy: 0.35 + 0.5 * (1 - Math.exp(-step / 30)),
        learning_rate: 5e-5,
      }),
    );
    if (step % 20 === 0)
      lines.push(
        JSON.stringify({
          step,
          eval_loss: 0.62 + 2.3 * Math.exp(-step / 28) + (step > 90 ? (step - 90) * 0.004 : 0),
          eval_token_accuracy: 0.33 + 0.47 * (1 - Math.exp(-step / 30)),
        }),
      );
  }
  return { result, metricsLog: lines.join('\n') + '\n' };
}
