// 64-bit content hashes of a record's fields, computed straight from the strings (no copies):
// `exact` over the fields as they are, `normalized` after Unicode NFC and whitespace collapsing
// (runs of whitespace become one space, leading and trailing whitespace dropped) per field.
// Two independent 32-bit multiplicative lanes with a final avalanche (the cyrb53 construction, kept
// at 64 bits); fields are separated by a value no UTF-16 unit can take, so ["ab", ""] ≠ ["a", "b"].

/** A 64-bit hash as two unsigned 32-bit halves. */
export interface Hash64 {
  hi: number;
  lo: number;
}

/** Both hashes of one record. */
export interface ContentHashes {
  /** 32-bit hash of the fields as given: tells an exact repeat from a normalized one. */
  exact: number;
  /** 64-bit hash of the normalized fields: the identity used for deduplication and the split. */
  normalized: Hash64;
}

/** True for the characters JavaScript's `\s` matches. */
export function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

const NON_ASCII = /[^\x00-\x7f]/;

/** NFC form of `s` (ASCII text is already NFC and skips the ICU call). */
export function nfc(s: string): string {
  return NON_ASCII.test(s) ? s.normalize('NFC') : s;
}

/** `s` after NFC and whitespace collapsing: the text the normalized hash sees. */
export function normalizeText(s: string): string {
  return nfc(s).replace(/\s+/g, ' ').trim();
}

// Constants and seeds are kept as int32 values (`| 0`): lanes that start as doubles make V8 run the
// whole loop in floating point, about twice as slow.
const M1 = 2654435761 | 0;
const M2 = 1597334677;

function finish(h1: number, h2: number): Hash64 {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  h1 ^= Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  return { hi: h1 >>> 0, lo: h2 >>> 0 };
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 32-bit hash of the fields as given (one multiplicative lane). */
function exactLane(fields: readonly string[]): number {
  let e = 0x811c9dc5 | 0;
  for (let f = 0; f < fields.length; f++) {
    const s = fields[f];
    const length = s.length;
    for (let i = 0; i < length; i++) e = Math.imul(e ^ s.charCodeAt(i), M1);
    e = Math.imul(e ^ (0x10000 + f), M1);
  }
  return fmix32(e);
}

// The normalized lanes, kept in module state across `foldCollapsed` calls: int32 slots read into
// locals once per call, so the hot loop runs on locals.
const LANES = new Int32Array(2);
const CHANGED = 1;
const NON_ASCII_SEEN = 2;

/**
 * Folds `s` with its whitespace collapsed (runs become one space, none at either end) into LANES.
 * Answers flags: CHANGED when collapsing changed something (a whitespace other than one inner space),
 * NON_ASCII_SEEN when `s` holds a non-ASCII unit (so NFC may change it).
 */
function foldCollapsed(s: string): number {
  let n1 = LANES[0];
  let n2 = LANES[1];
  let flags = 0;
  let pendingSpace = false;
  let started = false;
  const length = s.length;
  for (let i = 0; i < length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      if (c >= 0x80) flags |= NON_ASCII_SEEN;
      if (isWhitespace(c)) {
        if (c !== 0x20 || pendingSpace || !started) flags |= CHANGED;
        pendingSpace = started;
        continue;
      }
    }
    if (pendingSpace) {
      n1 = Math.imul(n1 ^ 0x20, M1);
      n2 = Math.imul(n2 ^ 0x20, M2);
      pendingSpace = false;
    }
    started = true;
    n1 = Math.imul(n1 ^ c, M1);
    n2 = Math.imul(n2 ^ c, M2);
  }
  if (pendingSpace) flags |= CHANGED;
  LANES[0] = n1;
  LANES[1] = n2;
  return flags;
}

/**
 * Exact and normalized hashes of a record's content fields. One pass per field computes the
 * normalized lanes and notes whether normalizing changed anything (a whitespace character other than
 * a single inner space, or NFC); only then is the exact lane computed in a second, tight pass —
 * text already in normal form is its own exact form. A field with non-ASCII text that NFC changes is
 * folded again in its NFC form.
 */
export function contentHashes(fields: readonly string[]): ContentHashes {
  LANES[0] = 0xdeadbeef | 0;
  LANES[1] = 0x41c6ce57;
  let changed = false;
  for (let f = 0; f < fields.length; f++) {
    const s = fields[f];
    const start1 = LANES[0];
    const start2 = LANES[1];
    const flags = foldCollapsed(s);
    if (flags & CHANGED) changed = true;
    const normal = flags & NON_ASCII_SEEN ? s.normalize('NFC') : s;
    if (normal !== s) {
      changed = true;
      LANES[0] = start1;
      LANES[1] = start2;
      foldCollapsed(normal);
    }
    LANES[0] = Math.imul(LANES[0] ^ (0x10000 + f), M1);
    LANES[1] = Math.imul(LANES[1] ^ (0x10000 + f), M2);
  }
  const normalized = finish(LANES[0], LANES[1]);
  return { exact: changed ? exactLane(fields) : fmix32(normalized.hi ^ 0x5bd1e995), normalized };
}

/** 32-bit hash of the fields exactly as given. */
export function exactHash(fields: readonly string[]): number {
  return contentHashes(fields).exact;
}

/** Hash of the fields after NFC and whitespace collapsing (equal to `exactHash` of the normalized fields). */
export function normalizedHash(fields: readonly string[]): Hash64 {
  return contentHashes(fields).normalized;
}
