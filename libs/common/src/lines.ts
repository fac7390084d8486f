// Streaming line reader: yields each line of a byte stream with its 1-based number, in constant memory.
// Handles CRLF and a final line without a newline. Decodes UTF-8 strictly when asked, so invalid
// bytes can be reported per line instead of being silently replaced. A line longer than
// `maxLineBytes` is cut (and flagged) so that one endless line cannot exhaust memory.
import { isUtf8 } from 'node:buffer';

export interface Line {
  /** 1-based line number in the input. */
  readonly number: number;
  /** The line's text without its line ending (decoded with U+FFFD replacements when `invalidUtf8`). */
  readonly text: string;
  /** Set when the line is not valid UTF-8 (only with `strictUtf8`). */
  readonly invalidUtf8?: boolean;
  /** The line's raw bytes length (without the line ending), counted in full even when `truncated`. */
  readonly byteLength: number;
  /** The raw bytes of a line that is not valid UTF-8 (only with `strictUtf8`; cut like `text` when `truncated`). */
  readonly bytes?: Uint8Array;
  /** Set when the line was longer than `maxLineBytes`: `text` holds only its first `maxLineBytes` bytes. */
  readonly truncated?: boolean;
}

export interface ReadLinesOptions {
  /** Report invalid UTF-8 per line instead of replacing it with U+FFFD. */
  strictUtf8?: boolean;
  /** Keep at most this many bytes of a line (the rest is counted, not stored). Default: unlimited. */
  maxLineBytes?: number;
}

/** Reads `source` line by line. Memory stays bounded by the longest line (or by `maxLineBytes`). */
export async function* readLines(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadLinesOptions = {},
): AsyncGenerator<Line> {
  const strict = options.strictUtf8 === true;
  const maxKept = options.maxLineBytes ?? Number.POSITIVE_INFINITY;
  let pending: Buffer[] = [];
  let pendingKept = 0; // bytes stored in `pending`
  let pendingTotal = 0; // bytes seen for the current partial line

  let pendingLastByte = -1; // last byte seen of the current partial line
  let number = 0;

  // One line from raw bytes (slow path: lines that span chunks, invalid UTF-8 or cut lines).
  // `kept` may still hold the CR of a CRLF ending; `bodyLength` is the full length without it.
  const lineFromBytes = (kept: Buffer, bodyLength: number): Line => {
    number += 1;
    const body = kept.length > bodyLength ? kept.subarray(0, bodyLength) : kept;
    const text = body.toString('utf8');
    const base: Line =
      bodyLength > body.length
        ? { number, text, byteLength: bodyLength, truncated: true }
        : { number, text, byteLength: bodyLength };
    if (strict && !isUtf8(body)) return { ...base, invalidUtf8: true, bytes: Uint8Array.from(body) };
    return base;
  };
  const fromHead = (head: Buffer): Line => {
    const cr = head.length > 0 && head[head.length - 1] === 0x0d ? 1 : 0;
    const bodyLength = head.length - cr;
    return lineFromBytes(head.subarray(0, Math.min(maxKept, head.length)), bodyLength);
  };

  const takePending = (head: Buffer): Line => {
    const total = pendingTotal + head.length;
    const room = Math.max(0, maxKept - pendingKept);
    if (room > 0) pending.push(head.subarray(0, Math.min(room, head.length)));
    const lastByte = head.length > 0 ? head[head.length - 1] : pendingLastByte;
    const bodyLength = total - (lastByte === 0x0d ? 1 : 0);
    const line = lineFromBytes(Buffer.concat(pending, Math.min(total, maxKept)), bodyLength);
    pending = [];
    pendingKept = 0;
    pendingTotal = 0;
    return line;
  };

  for await (const chunk of source) {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const first = buf.indexOf(0x0a);
    if (first === -1) {
      const room = Math.max(0, maxKept - pendingKept);
      if (room > 0) {
        const kept = Buffer.from(buf.subarray(0, Math.min(room, buf.length)));
        pending.push(kept);
        pendingKept += kept.length;
      }
      pendingTotal += buf.length;
      if (buf.length > 0) pendingLastByte = buf[buf.length - 1];
      continue;
    }
    let start = 0;
    if (pendingTotal > 0) {
      yield takePending(buf.subarray(0, first));
      start = first + 1;
    }
    const last = buf.lastIndexOf(0x0a);
    if (last >= start) {
      // Fast path: the chunk's complete lines checked once, then decoded line by line (ASCII lines
      // stay one-byte strings, which JSON.parse and string hashing handle fastest).
      if (!strict || isUtf8(buf.subarray(start, last))) {
        let from = start;
        while (from <= last) {
          const nl = buf.indexOf(0x0a, from);
          const end = nl > from && buf[nl - 1] === 0x0d ? nl - 1 : nl;
          number += 1;
          if (end - from > maxKept) {
            yield {
              number,
              text: buf.toString('utf8', from, from + maxKept),
              byteLength: end - from,
              truncated: true,
            };
          } else {
            yield { number, text: buf.toString('utf8', from, end), byteLength: end - from };
          }
          from = nl + 1;
        }
      } else {
        let from = start;
        while (from <= last) {
          const nl = buf.indexOf(0x0a, from);
          yield fromHead(buf.subarray(from, nl));
          from = nl + 1;
        }
      }
    }
    if (last + 1 < buf.length) {
      const rest = buf.subarray(last + 1);
      const kept = Buffer.from(rest.subarray(0, Math.min(maxKept, rest.length)));
      pending.push(kept);
      pendingKept = kept.length;
      pendingTotal = rest.length;
      pendingLastByte = rest[rest.length - 1];
    }
  }
  if (pendingTotal > 0) yield takePending(Buffer.alloc(0));
}
