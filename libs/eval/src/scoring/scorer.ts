// The small interfaces evaluation needs from a language model: score given completions token by
// token, and generate new ones. A GPT-Neo adapter implements them (model-scorer.ts); tests use fakes
// (testing.ts). Nothing here knows about tensors or tokenizers.

/** One completion to score after its prompt. */
export interface ScoreRequest {
  prompt: string;
  completion: string;
}

/** The model's view of one completion's tokens (only completion tokens: the collator's trainable labels). */
export interface TokenScores {
  /** Natural-log probability the model gave each completion token, in order. */
  logProbs: number[];
  /** Whether the model's most likely next token equalled each completion token. */
  correct: boolean[];
  /** Tokens in the prompt (used to bucket examples by input length). */
  promptTokens: number;
}

export interface Scorer {
  /** Scores each request's completion given its prompt; same order as the requests. */
  score(requests: readonly ScoreRequest[]): Promise<TokenScores[]>;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 or absent = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

/** A generation and how it ended. */
export interface Generation {
  text: string;
  /** The model ended it itself (EOS) before reaching maxNewTokens. */
  stopped: boolean;
}

export interface Generator {
  /** The completion text the model writes after `prompt` (the prompt itself excluded). */
  generate(prompt: string, options: GenerateOptions): Promise<string>;
  /** The same generation with how it ended; absent when a generator cannot tell. */
  generateWithEnd?(prompt: string, options: GenerateOptions): Promise<Generation>;
}

/** A model under evaluation: a name for the report and its two capabilities. */
export interface EvalModel {
  name: string;
  scorer: Scorer;
  generator?: Generator;
}

/** Sum of token log-probabilities: the log-likelihood of the whole completion. */
export function logLikelihood(scores: TokenScores): number {
  let s = 0;
  for (const lp of scores.logProbs) s += lp;
  return s;
}

/** Log-likelihood of each candidate completion after one prompt (one score call). */
export async function scoreCompletions(
  scorer: Scorer,
  prompt: string,
  candidates: readonly string[],
): Promise<number[]> {
  const scores = await scorer.score(candidates.map((completion) => ({ prompt, completion })));
  return scores.map(logLikelihood);
}
