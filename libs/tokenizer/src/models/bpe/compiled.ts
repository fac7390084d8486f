// The compiled form of a byte-level BPE model: merges as id triples, token lengths and the ids of the
// 256 byte characters: all that encoding needs, as flat integers that load in microseconds.
// The loader caches it on disk keyed by the vocabulary files' hash; vocabulary strings stay lazy.

export interface CompiledBpe {
  /** Number of tokens in the vocabulary. */
  size: number;
  /** Id of the unknown token, or -1. */
  unkId: number;
  ignoreMerges: boolean;
  /** Per merge in rank order: left id, right id, merged id. */
  merges: Int32Array;
  /** Length (UTF-16 units) of each token string by id; 0 for ids not in the vocabulary. */
  tokenLengths: Int32Array;
  /** Id of each byte's character in the byte-to-unicode alphabet, or -1. */
  byteIds: Int32Array;
}

const MAGIC = 0x45505442; // "BTPE"
const VERSION = 1;
const HEADER = 7;

export function serializeCompiled(c: CompiledBpe): Uint8Array {
  const words = new Int32Array(HEADER + 256 + c.merges.length + c.tokenLengths.length);
  words.set([
    MAGIC,
    VERSION,
    c.size,
    c.unkId,
    c.ignoreMerges ? 1 : 0,
    c.merges.length,
    c.tokenLengths.length,
  ]);
  words.set(c.byteIds, HEADER);
  words.set(c.merges, HEADER + 256);
  words.set(c.tokenLengths, HEADER + 256 + c.merges.length);
  return new Uint8Array(words.buffer);
}

/** Reads a compiled model; null when the bytes are not one (wrong magic, version or size). */
export function deserializeCompiled(bytes: Uint8Array): CompiledBpe | null {
  if (bytes.byteLength % 4 !== 0 || bytes.byteLength < (HEADER + 256) * 4) return null;
  const words = new Int32Array(bytes.slice().buffer);
  const [magic, version, size, unkId, ignoreMerges, mergeWords, lengthWords] = words;
  if (magic !== MAGIC || version !== VERSION) return null;
  if (words.length !== HEADER + 256 + mergeWords + lengthWords || mergeWords % 3 !== 0) return null;
  return {
    size,
    unkId,
    ignoreMerges: ignoreMerges === 1,
    byteIds: words.subarray(HEADER, HEADER + 256),
    merges: words.subarray(HEADER + 256, HEADER + 256 + mergeWords),
    tokenLengths: words.subarray(HEADER + 256 + mergeWords),
  };
}
