// safetensors header: parsing and validation (reader) and layout (writer), following the safetensors format as
// its Rust crate reads and writes it (tensor.rs read_metadata / Metadata::validate / prepare). Byte-level I/O is
// in file.ts. Error names match the crate's (HeaderTooSmall, InvalidOffset, …) so messages are searchable.
// The rules, stated for ftune: docs/hf-semantics.md §6.
import { UserError } from '@ftune/common';

/** Dtype names and bit sizes, in the crate's enum order (the writer sorts by this order, descending). */
export const DTYPE_BITS = {
  BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8, F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32, C64: 64, F64: 64, I64: 64, U64: 64,
} as const;
export type Dtype = keyof typeof DTYPE_BITS;
const DTYPE_ORDER = Object.keys(DTYPE_BITS) as Dtype[];

export const MAX_HEADER_SIZE = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: Dtype;
  shape: number[];
  /** Byte range relative to the start of the data buffer (8 + N), end exclusive. */
  begin: number;
  end: number;
}

export interface Header {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string> | null;
  /** Absolute offset of the data buffer: 8 + N. */
  dataStart: number;
}

/** A malformed safetensors file; `code` is the safetensors crate's error name. */
export class SafetensorsError extends UserError {
  constructor(
    readonly code: string,
    message: string,
    source = 'safetensors',
  ) {
    super(`${source}: ${code}: ${message}`);
  }
}

export function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads N from the first 8 bytes and checks it against the file size. */
export function headerLength(prefix: Uint8Array, fileLength: number, source?: string): number {
  if (fileLength < 8 || prefix.length < 8) throw new SafetensorsError('HeaderTooSmall', `file has ${fileLength} bytes, fewer than 8`, source);
  const n = Number(new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER_SIZE) throw new SafetensorsError('HeaderTooLarge', `header length ${n} exceeds ${MAX_HEADER_SIZE}`, source);
  if (8 + n > fileLength) throw new SafetensorsError('InvalidHeaderLength', `header length ${n} runs past the end of the ${fileLength}-byte file`, source);
  return n;
}

function isNonNegativeInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses and validates the JSON header (bytes 8..8+N) against the file length. */
export function parseHeader(headerBytes: Uint8Array, fileLength: number, source?: string): Header {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new SafetensorsError('InvalidHeader', 'header is not valid UTF-8', source);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError('InvalidHeaderDeserialization', (e as Error).message, source);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SafetensorsError('InvalidHeaderDeserialization', 'header is not a JSON object', source);
  }
  let metadata: Record<string, string> | null = null;
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || !Object.values(entry).every((v) => typeof v === 'string')) {
        throw new SafetensorsError('InvalidHeaderDeserialization', '__metadata__ must map strings to strings', source);
      }
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BITS)) {
      throw new SafetensorsError('InvalidHeaderDeserialization', `tensor "${name}" has no known dtype (${JSON.stringify(e?.dtype)})`, source);
    }
    if (!Array.isArray(e.shape) || !e.shape.every(isNonNegativeInt)) {
      throw new SafetensorsError('InvalidHeaderDeserialization', `tensor "${name}" has an invalid shape ${JSON.stringify(e.shape)}`, source);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInt)) {
      throw new SafetensorsError('InvalidHeaderDeserialization', `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`, source);
    }
    tensors.push({ name, dtype: e.dtype as Dtype, shape: e.shape as number[], begin: offsets[0] as number, end: offsets[1] as number });
  }
  // The tensors must tile the data buffer from 0 with no holes or overlaps, each exactly its size.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of tensors) {
    if (t.begin !== cursor || t.end < t.begin) {
      throw new SafetensorsError('InvalidOffset', `tensor "${t.name}" data_offsets [${t.begin}, ${t.end}] do not start at ${cursor}`, source);
    }
    const bits = elementCount(t.shape) * DTYPE_BITS[t.dtype];
    if (!Number.isSafeInteger(bits)) throw new SafetensorsError('ValidationOverflow', `tensor "${t.name}" is too large`, source);
    if (bits % 8 !== 0) throw new SafetensorsError('MisalignedSlice', `tensor "${t.name}" does not fill whole bytes`, source);
    if (t.end - t.begin !== bits / 8) {
      throw new SafetensorsError('TensorInvalidInfo', `tensor "${t.name}" ${t.dtype} [${t.shape}] needs ${bits / 8} bytes, data_offsets give ${t.end - t.begin}`, source);
    }
    cursor = t.end;
  }
  const dataStart = 8 + headerBytes.length;
  if (dataStart + cursor !== fileLength) {
    throw new SafetensorsError('MetadataIncompleteBuffer', `incomplete metadata, file not fully covered (tensors end at byte ${dataStart + cursor}, file has ${fileLength})`, source);
  }
  return { tensors: new Map(tensors.map((t) => [t.name, t])), metadata, dataStart };
}

export interface TensorEntry {
  name: string;
  dtype: Dtype;
  shape: number[];
}

/** Writer layout: order by dtype descending (enum order), then name byte-wise ascending; offsets cumulative;
 *  compact JSON with __metadata__ first, padded with spaces to a multiple of 8 bytes. */
export function layoutHeader(entries: TensorEntry[], metadata?: Record<string, string>): { header: Uint8Array; order: TensorInfo[] } {
  const sorted = [...entries].sort((a, b) => {
    const d = DTYPE_ORDER.indexOf(b.dtype) - DTYPE_ORDER.indexOf(a.dtype);
    if (d !== 0) return d;
    const an = Buffer.from(a.name);
    return Buffer.compare(an, Buffer.from(b.name));
  });
  const names = new Set<string>();
  const order: TensorInfo[] = [];
  let cursor = 0;
  for (const e of sorted) {
    if (names.has(e.name)) throw new Error(`safetensors writer: duplicate tensor name "${e.name}"`);
    names.add(e.name);
    const bits = elementCount(e.shape) * DTYPE_BITS[e.dtype];
    if (bits % 8 !== 0) throw new Error(`safetensors writer: tensor "${e.name}" does not fill whole bytes`);
    order.push({ ...e, begin: cursor, end: cursor + bits / 8 });
    cursor += bits / 8;
  }
  // Built by hand: a JS object would move integer-like names ("0", "1") ahead of the others.
  const parts = metadata ? [`"__metadata__":${JSON.stringify(metadata)}`] : [];
  for (const t of order) {
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [t.begin, t.end] })}`);
  }
  const raw = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  const padded = Buffer.alloc(Math.ceil(raw.length / 8) * 8, 0x20);
  raw.copy(padded);
  return { header: padded, order };
}
