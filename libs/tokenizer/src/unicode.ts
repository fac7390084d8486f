// Character classes of the GPT-2 pre-tokenization pattern, defined explicitly.
// Hugging Face tokenizers compiles the pattern with Oniguruma, whose Unicode `\s` is
// U+0009–U+000D, U+0085 and the separators Zs/Zl/Zp. JavaScript's `\s` differs (it includes U+FEFF
// and excludes U+0085), so it is never used here. `\p{L}` and `\p{N}` come from the engine's tables.

/** Classes of code points as the pattern sees them (0: not classified yet). */
export const LETTER = 1;
export const NUMBER = 2;
export const SPACE = 3;
export const OTHER = 4;

/** The whitespace set of the pattern (Oniguruma Unicode `\s`). */
export const WHITESPACE_CODE_POINTS: readonly number[] = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
  0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];

const LETTER_RE = /^\p{L}$/u;
const NUMBER_RE = /^\p{N}$/u;

/** Class of every code point, filled on first use (read it directly in hot loops, call classOf on 0). */
export const CLASS_TABLE = new Uint8Array(0x110000);
for (const cp of WHITESPACE_CODE_POINTS) CLASS_TABLE[cp] = SPACE;

/** Classifies a code point (memoised in CLASS_TABLE). */
export function classOf(cp: number): number {
  const known = CLASS_TABLE[cp];
  if (known !== 0) return known;
  const ch = String.fromCodePoint(cp);
  const cls = LETTER_RE.test(ch) ? LETTER : NUMBER_RE.test(ch) ? NUMBER : OTHER;
  CLASS_TABLE[cp] = cls;
  return cls;
}
for (let c = 0; c < 0x80; c++) classOf(c);

/** Code point at UTF-16 index `i` (a lone surrogate is returned as itself). */
export function codePointAt(text: string, i: number, end: number): number {
  const hi = text.charCodeAt(i);
  if (hi >= 0xd800 && hi <= 0xdbff && i + 1 < end) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return ((hi - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
  }
  return hi;
}

/** Number of UTF-8 bytes of a code point (lone surrogates are encoded as U+FFFD: 3 bytes). */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}
