// The GPT-2 pre-tokenization pattern as a hand-written scanner (no regex at run time):
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// Semantics of Python `regex.findall` / Oniguruma with SplitDelimiterBehavior::Isolated: leftmost match,
// alternatives in order, greedy runs. Character classes are those of ../unicode.ts.
import * as unicode from '../unicode';

// module-local bindings: hot loops read them without going through the module's export getters
const TABLE = unicode.CLASS_TABLE;
const classOf = unicode.classOf;
const SPACE = unicode.SPACE;

/** Growable list of [start, end) UTF-16 ranges, reused across calls to avoid allocation. */
export class Pieces {
  starts = new Int32Array(256);
  ends = new Int32Array(256);
  count = 0;

  push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const starts = new Int32Array(this.count * 2);
      const ends = new Int32Array(this.count * 2);
      starts.set(this.starts);
      ends.set(this.ends);
      this.starts = starts;
      this.ends = ends;
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }
}

/** End of the contraction starting at `i` (text[i] is an apostrophe), or -1. */
function contractionEnd(text: string, i: number, end: number): number {
  if (i + 1 >= end) return -1;
  const a = text.charCodeAt(i + 1);
  if (a === 0x73 || a === 0x74 || a === 0x6d || a === 0x64) return i + 2; // s t m d
  if (i + 2 >= end) return -1;
  const b = text.charCodeAt(i + 2);
  if ((a === 0x72 || a === 0x76) && b === 0x65) return i + 3; // re ve
  if (a === 0x6c && b === 0x6c) return i + 3; // ll
  return -1;
}

/** Code point at `i` (surrogate pairs combined; a lone surrogate stands for itself). */
function cpAt(text: string, i: number, end: number): number {
  const hi = text.charCodeAt(i);
  if (hi < 0xd800 || hi > 0xdbff || i + 1 >= end) return hi;
  const lo = text.charCodeAt(i + 1);
  return lo >= 0xdc00 && lo <= 0xdfff ? ((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000 : hi;
}

function classAt(text: string, i: number, end: number): number {
  const cp = cpAt(text, i, end);
  const cls = TABLE[cp];
  return cls !== 0 ? cls : classOf(cp);
}

/** End of the run of code points of class `cls` starting at `i`. */
function runEnd(text: string, i: number, end: number, cls: number): number {
  while (i < end) {
    const c = text.charCodeAt(i);
    if (c < 0xd800) {
      const k = TABLE[c];
      if ((k !== 0 ? k : classOf(c)) !== cls) return i;
      i++;
      continue;
    }
    const cp = cpAt(text, i, end);
    const k = TABLE[cp];
    if ((k !== 0 ? k : classOf(cp)) !== cls) return i;
    i += cp > 0xffff ? 2 : 1;
  }
  return end;
}

/** Splits text[from, to) into the pattern's pieces, appending them to `out`. */
export function splitGpt2(text: string, from: number, to: number, out: Pieces): void {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c === 0x27) {
      const j = contractionEnd(text, i, to);
      if (j > 0) {
        out.push(i, j);
        i = j;
        continue;
      }
    }
    if (c === 0x20 && i + 1 < to) {
      const next = classAt(text, i + 1, to);
      if (next !== SPACE) {
        const j = runEnd(text, i + 1, to, next);
        out.push(i, j);
        i = j;
        continue;
      }
    }
    const cls = classAt(text, i, to);
    const j = runEnd(text, i, to, cls);
    if (cls !== SPACE || j === to || j - i === 1) {
      out.push(i, j);
      i = j;
    } else {
      // \s+(?!\S): a whitespace run before a non-space gives back its last character
      // (all whitespace code points are in the BMP, so one UTF-16 unit each).
      out.push(i, j - 1);
      i = j - 1;
    }
  }
}
