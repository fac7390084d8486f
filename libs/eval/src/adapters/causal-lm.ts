// Scorer and Generator over a causal language model and its tokenizer (GPT-Neo in ftune), the
// bridge between evaluate() and real weights. A request's text is prompt + completion tokenized as
// one string, exactly as training saw it; the completion tokens are those after the prompt's
// tokens (the collator's trainable labels when the prompt ends with the response template). One
// forward pass gives both log p(token) and the argmax hit per completion token.
// Not here: loading weights or tokenizer files (the caller passes loaded objects).
import * as tf from '@tensorflow/tfjs-core';
import type {
  EvalModel,
  GenerateOptions,
  Generation,
  Generator,
  Scorer,
  ScoreRequest,
  TokenScores,
} from '../scoring/scorer';

/** The batch shape the model reads (structurally the collator's CollatedBatch). */
export interface LmBatch {
  batchSize: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
}

/** What evaluation needs from a causal LM (GPTNeoModel has it). */
export interface CausalLm {
  readonly config: { vocabSize: number; maxPositionEmbeddings: number };
  /** (M, V) logits at the flat positions b·T + t only; the caller disposes the tensor. */
  logitsAt(batch: LmBatch, positions: Int32Array): tf.Tensor2D;
  generate(promptIds: number[], options: GenerateOptions & { eosTokenId?: number | null }): number[];
}

/** What evaluation needs from a tokenizer (the @ftune/tokenizer Tokenizer has it). */
export interface EvalTokenizer {
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  encodeIds(text: string): number[];
  encode(text: string): { inputIds: number[]; offsets: Array<[number, number]> };
  decode(ids: ArrayLike<number>, options?: { skipSpecialTokens?: boolean }): string;
}

export interface CausalLmOptions {
  /** Appended to every scored completion (when training appended EOS to completions, the seed does not). */
  appendEos?: boolean;
  /** Generation stops at the first of these strings, which is cut off (default: "\n###", the next template section). */
  stopSequences?: string[];
  /** Padding id for batches (default: the tokenizer's EOS, else 0); padded positions are never read. */
  padTokenId?: number;
}

/** Token ids of prompt + completion and the index where the completion starts. */
export function splitTokens(
  tokenizer: EvalTokenizer,
  prompt: string,
  completion: string,
): { ids: number[]; start: number } {
  const text = prompt + completion;
  const promptIds = prompt ? tokenizer.encodeIds(prompt) : [];
  const ids = tokenizer.encodeIds(text);
  if (promptIds.every((id, i) => ids[i] === id)) return { ids, start: promptIds.length };
  // A token merged across the boundary: the completion starts at the first token that reaches past the prompt.
  const { offsets } = tokenizer.encode(text);
  const start = offsets.findIndex(([, end]) => end > prompt.length);
  return { ids, start: start === -1 ? ids.length : start };
}

/** One row of a forward pass and the (position, token) pairs read from it, each for one request. */
interface Row {
  ids: number[];
  reads: { at: number; token: number; request: number }[];
}

function forward(
  model: CausalLm,
  rows: readonly Row[],
  pad: number,
): { logProbs: ArrayLike<number>; argmax: ArrayLike<number> } {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.ids.length));
  const V = model.config.vocabSize;
  const inputIds = new Int32Array(B * T).fill(pad);
  const attentionMask = new Int32Array(B * T);
  const positions: number[] = []; // flat (B·T) index of each distinct position read
  const rowOf = new Map<number, number>(); // flat index → its row among the positions read
  const readRows: number[] = []; // row (of M) of each read
  const gatherAt: number[] = []; // flat (M·V) index of each read's token log-probability
  rows.forEach((r, b) => {
    r.ids.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
    });
    for (const read of r.reads) {
      const at = b * T + read.at;
      if (!rowOf.has(at)) {
        rowOf.set(at, positions.length);
        positions.push(at);
      }
      const row = rowOf.get(at) as number;
      readRows.push(row);
      gatherAt.push(row * V + read.token);
    }
  });
  if (positions.length === 0) return { logProbs: [], argmax: [] };
  return tf.tidy(() => {
    // the head and the softmax run only at the positions read (M of the B·T)
    const logits = model.logitsAt(
      { batchSize: B, seqLen: T, inputIds, attentionMask },
      Int32Array.from(positions),
    ); // (M, V)
    const lsm = tf.reshape(tf.logSoftmax(logits), [-1]); // (M·V)
    const lp = tf.gather(lsm, tf.tensor1d(gatherAt, 'int32'));
    const am = tf.gather(tf.argMax(logits, 1), tf.tensor1d(readRows, 'int32'));
    return { logProbs: lp.dataSync(), argmax: am.dataSync() };
  });
}

/**
 * Rows for the requests. Single-token completions after the same prompt (a label set such as
 * " positive" / " negative") share one row of prompt tokens: every candidate's probability is read
 * from the prompt's last position, one forward pass for the whole label set.
 */
function planRows(split: readonly { ids: number[]; start: number }[]): Row[] {
  const rows: Row[] = [];
  const shared = new Map<string, Row>();
  split.forEach(({ ids, start }, request) => {
    if (start >= 1 && ids.length === start + 1) {
      const key = ids.slice(0, start).join(',');
      let row = shared.get(key);
      if (!row) {
        row = { ids: ids.slice(0, start), reads: [] };
        shared.set(key, row);
        rows.push(row);
      }
      row.reads.push({ at: start - 1, token: ids[start], request });
      return;
    }
    const reads = [];
    for (let t = Math.max(1, start); t < ids.length; t++) reads.push({ at: t - 1, token: ids[t], request });
    rows.push({ ids, reads });
  });
  return rows;
}

/** A Scorer over `model`: each completion's tokens scored in one forward pass per batch. */
export function causalLmScorer(
  model: CausalLm,
  tokenizer: EvalTokenizer,
  options: CausalLmOptions = {},
): Scorer {
  const pad = options.padTokenId ?? tokenizer.eosTokenId ?? 0;
  const maxLength = model.config.maxPositionEmbeddings;
  return {
    score(requests: readonly ScoreRequest[]): Promise<TokenScores[]> {
      const split = requests.map(({ prompt, completion }) => {
        const r = splitTokens(tokenizer, prompt, completion);
        if (options.appendEos && tokenizer.eosTokenId !== null) r.ids.push(tokenizer.eosTokenId);
        // keep the completion: drop the oldest prompt tokens when the text is longer than the model's window
        const over = r.ids.length - maxLength;
        return over > 0 ? { ids: r.ids.slice(over), start: Math.max(0, r.start - over) } : r;
      });
      const rows = planRows(split);
      const { logProbs, argmax } = forward(model, rows, pad);
      const out: TokenScores[] = split.map((r) => ({ logProbs: [], correct: [], promptTokens: r.start }));
      let k = 0;
      for (const row of rows) {
        for (const read of row.reads) {
          out[read.request].logProbs.push(logProbs[k]);
          out[read.request].correct.push(argmax[k] === read.token);
          k++;
        }
      }
      return Promise.resolve(out);
    },
  };
}

/** Cuts `text` at the first stop sequence. */
export function cutAtStop(text: string, stops: readonly string[]): string {
  let end = text.length;
  for (const s of stops) {
    const i = s ? text.indexOf(s) : -1;
    if (i !== -1 && i < end) end = i;
  }
  return text.slice(0, end);
}

/** A Generator over `model`: the prompt's tokens (the most recent ones that fit), decoded new tokens, cut at a stop sequence. */
export function causalLmGenerator(
  model: CausalLm,
  tokenizer: EvalTokenizer,
  options: CausalLmOptions = {},
): Generator {
  const stops = options.stopSequences ?? ['\n###'];
  const generateWithEnd = (prompt: string, o: GenerateOptions): Generation => {
    let ids = tokenizer.encodeIds(prompt);
    const room = model.config.maxPositionEmbeddings - o.maxNewTokens;
    if (ids.length > room) ids = ids.slice(ids.length - Math.max(1, room));
    if (ids.length === 0 && tokenizer.eosTokenId !== null) ids = [tokenizer.eosTokenId];
    const out = model.generate(ids, { ...o, eosTokenId: tokenizer.eosTokenId });
    // generation ends at EOS (left out of `out`), at maxNewTokens, or at the model's last position
    const stopped =
      tokenizer.eosTokenId !== null &&
      out.length < o.maxNewTokens &&
      ids.length + out.length < model.config.maxPositionEmbeddings;
    return { text: cutAtStop(tokenizer.decode(out, { skipSpecialTokens: true }), stops), stopped };
  };
  return {
    generate: (prompt, o) => Promise.resolve(generateWithEnd(prompt, o).text),
    generateWithEnd: (prompt, o) => Promise.resolve(generateWithEnd(prompt, o)),
  };
}

/** An EvalModel from a loaded model and tokenizer; refuses a tokenizer whose ids the model cannot embed. */
export function causalLmEvalModel(
  name: string,
  model: CausalLm,
  tokenizer: EvalTokenizer,
  options: CausalLmOptions = {},
): EvalModel {
  if (tokenizer.vocabSize > model.config.vocabSize) {
    throw new Error(
      `${name}: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${model.config.vocabSize}: they do not belong together`,
    );
  }
  return {
    name,
    scorer: causalLmScorer(model, tokenizer, options),
    generator: causalLmGenerator(model, tokenizer, options),
  };
}
