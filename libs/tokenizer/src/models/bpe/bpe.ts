// Byte-pair-encoding model: vocabulary, merges by rank, and the merge loop.
// Follows tokenizers' models/bpe (word.rs): repeatedly merge the adjacent pair of lowest rank,
// leftmost first. Dropout, byte fallback and sub-word prefixes/suffixes are not supported.
import { WordCache } from './cache';
import { MergeTable } from './merge-table';

/** tokenizer.json `model` section of a BPE tokenizer. */
export interface BpeConfig {
  type: 'BPE';
  vocab: Record<string, number>;
  /** "a b" strings (tokenizers < 0.20) or [a, b] pairs (tokenizers ≥ 0.20), in rank order. */
  merges: Array<string | [string, string]>;
  dropout?: number | null;
  unk_token?: string | null;
  continuing_subword_prefix?: string | null;
  end_of_word_suffix?: string | null;
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
}

export class BpeModel {
  /** Token → id, as given (a JSON object: looked up with `id()`, which ignores inherited keys). */
  readonly vocab: Readonly<Record<string, number>>;
  readonly idToToken: string[] = [];
  /** Number of tokens in the vocabulary. */
  readonly size: number;
  readonly unkId: number | null;
  private readonly table: MergeTable;
  private readonly cache = new WordCache();
  private ranks = new Int32Array(64);

  constructor(readonly config: BpeConfig) {
    if (config.dropout) throw new Error('BPE dropout is not supported');
    if (config.byte_fallback) throw new Error('BPE byte_fallback is not supported');
    if (config.continuing_subword_prefix || config.end_of_word_suffix) {
      throw new Error('BPE continuing_subword_prefix / end_of_word_suffix are not supported');
    }
    this.vocab = config.vocab;
    let size = 0;
    for (const token in config.vocab) {
      const id = config.vocab[token];
      if (typeof id !== 'number') continue;
      this.idToToken[id] = token;
      size++;
    }
    this.size = size;
    const merges = config.merges;
    this.table = new MergeTable(merges.length);
    for (let rank = 0; rank < merges.length; rank++) {
      const m = merges[rank];
      let a: string;
      let b: string;
      if (typeof m === 'string') {
        const space = m.indexOf(' ', 1);
        if (space < 0 || m.indexOf(' ', space + 1) >= 0)
          throw new Error(`Invalid merge at rank ${rank}: ${JSON.stringify(m)}`);
        a = m.slice(0, space);
        b = m.slice(space + 1);
      } else {
        [a, b] = m;
      }
      const ia = this.id(a);
      const ib = this.id(b);
      const im = this.id(a + b);
      if (ia === undefined || ib === undefined || im === undefined) {
        throw new Error(`Merge at rank ${rank} uses a token missing from the vocabulary: ${a} ${b}`);
      }
      this.table.set(ia, ib, rank, im);
    }
    const unk = config.unk_token ?? null;
    this.unkId = unk === null ? null : (this.id(unk) ?? null);
  }

  /** Id of a token of the vocabulary. */
  id(token: string): number | undefined {
    const id = this.vocab[token];
    return typeof id === 'number' ? id : undefined;
  }

  /**
   * Merges the symbol ids symbols[0, n) in place; returns the new length.
   * Pair ranks are kept in an array so each merge only looks up its two new neighbours.
   */
  merge(symbols: Int32Array, n: number): number {
    if (n < 2) return n;
    if (this.ranks.length < n) this.ranks = new Int32Array(n * 2);
    const ranks = this.ranks;
    const table = this.table;
    const NONE = 0x7fffffff;
    for (let i = 0; i < n - 1; i++) {
      const s = table.find(symbols[i], symbols[i + 1]);
      ranks[i] = s < 0 ? NONE : table.rankAt(s);
    }
    while (n > 1) {
      let best = NONE;
      let at = -1;
      for (let i = 0; i < n - 1; i++) {
        if (ranks[i] < best) {
          best = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      symbols[at] = table.mergedAt(table.find(symbols[at], symbols[at + 1]));
      symbols.copyWithin(at + 1, at + 2, n);
      ranks.copyWithin(at + 1, at + 2, n - 1);
      n--;
      if (at > 0) {
        const s = table.find(symbols[at - 1], symbols[at]);
        ranks[at - 1] = s < 0 ? NONE : table.rankAt(s);
      }
      if (at < n - 1) {
        const s = table.find(symbols[at], symbols[at + 1]);
        ranks[at] = s < 0 ? NONE : table.rankAt(s);
      }
    }
    return n;
  }

  /** Tokenizes one word given in the model's alphabet (characters of the vocabulary). */
  tokenize(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let ids: number[];
    const whole = this.config.ignore_merges ? this.id(word) : undefined;
    if (whole !== undefined) {
      ids = [whole];
    } else {
      const chars = Array.from(word);
      const symbols = new Int32Array(chars.length);
      let n = 0;
      for (const ch of chars) {
        const id = this.id(ch) ?? this.unkId;
        if (id === null)
          throw new Error(
            `Character ${JSON.stringify(ch)} is not in the vocabulary and there is no unk_token`,
          );
        if (this.config.fuse_unk && id === this.unkId && n > 0 && symbols[n - 1] === id) continue;
        symbols[n++] = id;
      }
      ids = Array.from(symbols.subarray(0, this.merge(symbols, n)));
    }
    this.cache.set(word, ids);
    return ids;
  }
}
