// Minimal safetensors (huggingface/safetensors format) writer and reader for float32 tensors by name:
// an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}}, then the
// raw bytes. Used for checkpoint weights and optimizer moments; other dtypes are rejected when read.
import * as fs from 'node:fs';

export interface NamedArray {
  shape: number[];
  data: Float32Array;
}

export function writeSafetensors(
  file: string,
  tensors: ReadonlyMap<string, NamedArray>,
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const name of names) {
    const { shape, data } = tensors.get(name) as NamedArray;
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors.get(name) as NamedArray;
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  fs.writeFileSync(file, out);
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function readSafetensors(file: string): Map<string, NamedArray> {
  const buf = fs.readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, HeaderEntry>;
  const base = 8 + headerLen;
  const out = new Map<string, NamedArray>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F32')
      throw new Error(`${file}: tensor ${name} has dtype ${entry.dtype}, expected F32`);
    const [start, end] = entry.data_offsets;
    const bytes = buf.subarray(base + start, base + end);
    const data = new Float32Array(bytes.length / 4);
    Buffer.from(data.buffer).set(bytes);
    out.set(name, { shape: entry.shape, data });
  }
  return out;
}
