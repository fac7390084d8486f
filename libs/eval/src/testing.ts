// Fakes for specs (here and in other libs): a model whose token log-probabilities and generations
// are given as functions, so figures can be checked against hand-computed values.
import type { EvalModel, GenerateOptions, TokenScores } from './scoring/scorer';

export interface FakeModelSpec {
  name: string;
  /** Log-probability of each completion token; tokens are the completion's whitespace-separated words. */
  logProbs: (prompt: string, completion: string) => number[];
  /** Argmax hits per token (default: log-prob > ln 0.5). */
  correct?: (prompt: string, completion: string) => boolean[];
  generate?: (prompt: string, options: GenerateOptions) => string;
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
            const correct = spec.correct ? spec.correct(prompt, completion) : logProbs.map((lp) => lp > Math.log(0.5));
            return { logProbs, correct, promptTokens: fakeTokenCount(prompt) };
          }),
        );
      },
    },
    generator: spec.generate
      ? { generate: (prompt: string, options: GenerateOptions): Promise<string> => Promise.resolve(spec.generate?.(prompt, options) ?? '') }
      : undefined,
  };
  return model;
}
