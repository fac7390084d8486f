// Streams stdin to stdout through a function of whole-line chunks, in constant memory and in order:
// bytes are cut at the last newline of each ~256 KiB, decoded as strict UTF-8, mapped (up to
// `concurrency` chunks in flight, e.g. on worker threads), and written with backpressure.
import { once } from 'node:events';
import { UserError } from '@ftune/common';
import type { LinesResult } from '@ftune/tokenizer';

const CHUNK_BYTES = 256 * 1024;
const strict = new TextDecoder('utf-8', { fatal: true });

export type ChunkMapper = (chunk: string, firstLine: number) => LinesResult | Promise<LinesResult>;

/** 1-based number of the first line of `bytes` that is not valid UTF-8. */
function badUtf8Line(bytes: Buffer, firstLine: number): number {
  let line = firstLine;
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    try {
      strict.decode(bytes.subarray(start, end));
    } catch {
      return line;
    }
    line++;
    start = end + 1;
  }
  return firstLine;
}

function countLines(bytes: Buffer): number {
  let n = 0;
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) n++;
  return n;
}

export interface StreamTotals {
  lines: number;
  skipped: number;
}

export async function mapJsonlStream(
  input: AsyncIterable<Buffer | string>,
  output: NodeJS.WritableStream,
  map: ChunkMapper,
  concurrency = 1,
): Promise<StreamTotals> {
  const totals: StreamTotals = { lines: 0, skipped: 0 };
  const inFlight: Array<Promise<LinesResult>> = [];
  let nextLine = 1;

  const drainOne = async (): Promise<void> => {
    const result = await (inFlight.shift() as Promise<LinesResult>);
    totals.lines += result.lines;
    totals.skipped += result.skipped;
    if (result.output !== '' && !output.write(result.output)) await once(output, 'drain');
    if (result.error) throw new UserError(`line ${result.error.line}: ${result.error.message}`);
  };
  const submit = async (bytes: Buffer): Promise<void> => {
    let text: string;
    try {
      text = strict.decode(bytes);
    } catch {
      throw new UserError(`line ${badUtf8Line(bytes, nextLine)}: not valid UTF-8`);
    }
    inFlight.push(Promise.resolve(map(text, nextLine)));
    nextLine += countLines(bytes);
    while (inFlight.length >= concurrency) await drainOne();
  };

  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const part of input) {
    const buf = typeof part === 'string' ? Buffer.from(part) : part;
    pending.push(buf);
    pendingBytes += buf.length;
    if (pendingBytes < CHUNK_BYTES) continue;
    const all = Buffer.concat(pending, pendingBytes);
    const cut = all.lastIndexOf(0x0a) + 1;
    pending = cut < all.length ? [all.subarray(cut)] : [];
    pendingBytes = all.length - cut;
    if (cut > 0) await submit(all.subarray(0, cut));
  }
  if (pendingBytes > 0) await submit(Buffer.concat(pending, pendingBytes));
  while (inFlight.length > 0) await drainOne();
  return totals;
}
