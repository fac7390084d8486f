// Byte-pair-encoding model: vocabulary, merges by rank, and the merge loop.
// Follows tokenizers' models/bpe (word.rs): repeatedly merge the adjacent pair of lowest rank,
// leftmost first. Dropout, byte fallback and sub-word prefixes/suffixes are not supported.
// Built from its tokenizer.json data, or from a compiled form with the data read only when asked.
import { BYTE_TO_CHAR } from '../../pre-tokenizers/bytes';
import type { CompiledBpe } from './compiled';
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
  /** Read and written for the file format only: byte-level vocabularies hold every byte, so no unknown
   *  characters arise to be fused. */
  fuse_unk?: boolean;
  byte_fallback?: boolean;
  ignore_merges?: boolean;
}

function checkSupported(config: BpeConfig): void {
  if (config.dropout) throw new Error('BPE dropout is not supported');
  if (config.byte_fallback) throw new Error('BPE byte_fallback is not supported');
  if (config.continuing_subword_prefix || config.end_of_word_suffix) {
    throw new Error('BPE continuing_subword_prefix / end_of_word_suffix are not supported');
  }
}

function splitMerge(m: string | [string, string], rank: number): [string, string] {
  if (typeof m !== 'string') return m;
  const space = m.indexOf(' ', 1);
  if (space < 0 || m.indexOf(' ', space + 1) >= 0)
    throw new Error(`Invalid merge at rank ${rank}: ${JSON.stringify(m)}`);
  return [m.slice(0, space), m.slice(space + 1)];
}

/** Compiles a model's data: every merge resolved to ids. */
export function compileBpe(config: BpeConfig): CompiledBpe {
  checkSupported(config);
  const vocab = config.vocab;
  const id = (token: string): number | undefined =>
    typeof vocab[token] === 'number' ? vocab[token] : undefined;
  let size = 0;
  let maxId = -1;
  for (const token in vocab) {
    if (typeof vocab[token] !== 'number') continue;
    size++;
    maxId = Math.max(maxId, vocab[token]);
  }
  const tokenLengths = new Int32Array(maxId + 1);
  for (const token in vocab) if (typeof vocab[token] === 'number') tokenLengths[vocab[token]] = token.length;
  const merges = new Int32Array(config.merges.length * 3);
  config.merges.forEach((m, rank) => {
    const [a, b] = splitMerge(m, rank);
    const ia = id(a);
    const ib = id(b);
    const im = id(a + b);
    if (ia === undefined || ib === undefined || im === undefined) {
      throw new Error(`Merge at rank ${rank} uses a token missing from the vocabulary: ${a} ${b}`);
    }
    merges.set([ia, ib, im], rank * 3);
  });
  const unk = config.unk_token ?? null;
  return {
    size,
    unkId: unk === null ? -1 : (id(unk) ?? -1),
    ignoreMerges: config.ignore_merges === true,
    merges,
    tokenLengths,
    byteIds: Int32Array.from(BYTE_TO_CHAR, (ch) => id(ch) ?? -1),
  };
}

export class BpeModel {
  readonly compiled: CompiledBpe;
  readonly unkId: number | null;
  private readonly table: MergeTable;
  private ranks = new Int32Array(64);
  private data: BpeConfig | null = null;
  private tokens: string[] | null = null;

  /** From the model's data, or from its compiled form plus a way to read the data when needed. */
  constructor(source: BpeConfig | { compiled: CompiledBpe; config: () => BpeConfig }) {
    if ('compiled' in source) {
      this.compiled = source.compiled;
      this.readConfig = source.config;
    } else {
      this.compiled = compileBpe(source);
      this.data = source;
    }
    const merges = this.compiled.merges;
    this.table = new MergeTable(merges.length / 3);
    for (let k = 0, rank = 0; k < merges.length; k += 3, rank++)
      this.table.set(merges[k], merges[k + 1], rank, merges[k + 2]);
    this.unkId = this.compiled.unkId < 0 ? null : this.compiled.unkId;
  }

  private readonly readConfig: () => BpeConfig = () => {
    throw new Error('unreachable');
  };

  /** The model's tokenizer.json data (read on first use when built from a compiled form). */
  get config(): BpeConfig {
    if (!this.data) {
      this.data = this.readConfig();
      checkSupported(this.data);
    }
    return this.data;
  }

  /** Number of tokens in the vocabulary. */
  get size(): number {
    return this.compiled.size;
  }

  /** Token string of each id (built on first use). */
  get idToToken(): readonly string[] {
    if (!this.tokens) {
      const tokens: string[] = [];
      const vocab = this.config.vocab;
      for (const token in vocab) if (typeof vocab[token] === 'number') tokens[vocab[token]] = token;
      this.tokens = tokens;
    }
    return this.tokens;
  }

  hasId(id: number): boolean {
    return id >= 0 && id < this.compiled.tokenLengths.length && this.compiled.tokenLengths[id] > 0;
  }

  /** Id of a token of the vocabulary. */
  id(token: string): number | undefined {
    const id = this.config.vocab[token];
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
}
