// GPT-2's reversible byte-to-unicode map (`bytes_to_unicode` in transformers, `bytes_char` in tokenizers):
// printable bytes map to themselves, the other 68 bytes to U+0100 upwards, in byte order.
// Also a UTF-8 encoder into a reusable buffer, matching TextEncoder (lone surrogates become U+FFFD).

function buildByteChars(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const chars = new Array<string>(256);
  for (const b of bs) chars[b] = String.fromCharCode(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (chars[b] === undefined) chars[b] = String.fromCharCode(256 + n++);
  }
  return chars;
}

/** byte → its character in token strings. */
export const BYTE_TO_CHAR: readonly string[] = buildByteChars();

/** character code → byte, or -1 for characters outside the map. */
export const CHAR_TO_BYTE: Int16Array = (() => {
  const table = new Int16Array(0x144).fill(-1);
  BYTE_TO_CHAR.forEach((ch, b) => (table[ch.charCodeAt(0)] = b));
  return table;
})();

/**
 * Writes the UTF-8 bytes of text[from, to) into `buf` (grown when needed) and returns [buf, length].
 * Lone surrogates are written as U+FFFD, as TextEncoder and Rust strings do.
 */
export function encodeUtf8(text: string, from: number, to: number, buf: Uint8Array): [Uint8Array, number] {
  if (buf.length < (to - from) * 3) buf = new Uint8Array((to - from) * 3 + 16);
  let n = 0;
  for (let i = from; i < to; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      buf[n++] = c;
    } else if (c < 0x800) {
      buf[n++] = 0xc0 | (c >> 6);
      buf[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const lo = i + 1 < to ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) {
        c = ((c - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        i++;
        buf[n++] = 0xf0 | (c >> 18);
        buf[n++] = 0x80 | ((c >> 12) & 0x3f);
        buf[n++] = 0x80 | ((c >> 6) & 0x3f);
        buf[n++] = 0x80 | (c & 0x3f);
      } else {
        buf[n++] = 0xef;
        buf[n++] = 0xbf;
        buf[n++] = 0xbd;
      }
    } else {
      buf[n++] = 0xe0 | (c >> 12);
      buf[n++] = 0x80 | ((c >> 6) & 0x3f);
      buf[n++] = 0x80 | (c & 0x3f);
    }
  }
  return [buf, n];
}
