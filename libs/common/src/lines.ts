// Streaming line reader: yields each line of a byte stream with its 1-based number, in constant memory.
// Handles CRLF and a final line without a newline. Decodes UTF-8 strictly when asked, so invalid
// bytes can be reported per line instead of being silently replaced.

export interface Line {
  /** 1-based line number in the input. */
  readonly number: number;
  /** The line's text without its line ending ('' when `bytes` is not valid UTF-8 and `fatal` is on). */
  readonly text: string;
  /** Set when the line is not valid UTF-8 (only with `strictUtf8`). */
  readonly invalidUtf8?: boolean;
  /** The line's raw bytes length (without the line ending). */
  readonly byteLength: number;
}

export interface ReadLinesOptions {
  /** Report invalid UTF-8 per line instead of replacing it with U+FFFD. */
  strictUtf8?: boolean;
}

/** Reads `source` line by line. Memory stays bounded by the longest line. */
export async function* readLines(
  source: AsyncIterable<Uint8Array | string>,
  options: ReadLinesOptions = {},
): AsyncGenerator<Line> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder('utf-8');
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let number = 0;

  const emit = (bytes: Buffer): Line => {
    number += 1;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end -= 1;
    const body = bytes.subarray(0, end);
    if (options.strictUtf8) {
      try {
        return { number, text: strict.decode(body), byteLength: end };
      } catch {
        return { number, text: lenient.decode(body), invalidUtf8: true, byteLength: end };
      }
    }
    return { number, text: lenient.decode(body), byteLength: end };
  };

  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl = buf.indexOf(0x0a);
    while (nl !== -1) {
      const head = buf.subarray(0, nl);
      if (pendingLength > 0) {
        pending.push(head);
        yield emit(Buffer.concat(pending, pendingLength + head.length));
        pending = [];
        pendingLength = 0;
      } else {
        yield emit(head);
      }
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(0x0a);
    }
    if (buf.length > 0) {
      pending.push(Buffer.from(buf));
      pendingLength += buf.length;
    }
  }
  if (pendingLength > 0) yield emit(Buffer.concat(pending, pendingLength));
}
