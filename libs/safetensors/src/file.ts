// Reading and writing safetensors files and buffers tensor by tensor, so a 500 MB checkpoint never sits in memory
// twice. Floats come back as Float32Array (F16 and BF16 widened exactly); integers as Int32Array (I64 range-checked).
// Little-endian hosts only (every platform Node runs on in practice); checked at run time.
import * as fs from 'node:fs';
import { endianness } from 'node:os';
import { type Header, type TensorInfo, SafetensorsError, elementCount, headerLength, layoutHeader, parseHeader } from './header';

export type TensorData = Float32Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array;

/** A tensor to write; the dtype follows the array type (F32, I32, I64, U8; F16 and BF16 as their raw 16-bit
 *  patterns in a Uint16Array). `data` may be a function, called when the tensor's turn comes, so a large model is
 *  converted one tensor at a time. */
export interface NamedTensor {
  name: string;
  shape: number[];
  dtype: 'F32' | 'I32' | 'I64' | 'U8' | 'F16' | 'BF16';
  data: TensorData | (() => TensorData);
}

/** The floating-point dtypes readFloat32 widens to float32. */
export const FLOAT_DTYPES: readonly string[] = ['F32', 'F16', 'BF16', 'F64'];

/** A NamedTensor for an array, dtype inferred. */
export function namedTensor(name: string, shape: number[], data: TensorData): NamedTensor {
  if (data instanceof Uint16Array) throw new Error(`safetensors writer: tensor "${name}" is 16-bit; give F16 or BF16 explicitly`);
  const dtype = data instanceof Float32Array ? 'F32' : data instanceof Int32Array ? 'I32' : data instanceof BigInt64Array ? 'I64' : 'U8';
  return { name, shape, dtype, data };
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: big-endian hosts are not supported');
}

/** Where the bytes come from: a file descriptor or an in-memory buffer. */
interface ByteSource {
  length: number;
  read(into: Uint8Array, position: number): void;
}

function bufferSource(bytes: Uint8Array): ByteSource {
  return { length: bytes.length, read: (into, position) => into.set(bytes.subarray(position, position + into.length)) };
}

function fileSource(fd: number, path: string): ByteSource {
  return {
    length: fs.fstatSync(fd).size,
    read(into, position) {
      let done = 0;
      while (done < into.length) {
        const n = fs.readSync(fd, into, done, into.length - done, position + done);
        if (n === 0) throw new SafetensorsError('IoError', `unexpected end of file at byte ${position + done}`, path);
        done += n;
      }
    },
  };
}

/** F16 bits → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Every F16 bit pattern's float32 value (256 KiB, built on first use): a 1.3B-parameter F16 model widens in a
 *  few seconds by lookup, where computing each value took tens. */
let halfTable: Float32Array | null = null;
function halfLookup(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** An open safetensors source: header parsed and validated, tensors read on demand. */
export class SafetensorsReader {
  readonly header: Header;

  private constructor(
    private readonly source: ByteSource,
    readonly name: string,
    private readonly close_: () => void,
  ) {
    const prefix = new Uint8Array(Math.min(8, source.length));
    source.read(prefix, 0);
    const n = headerLength(prefix, source.length, name);
    const headerBytes = new Uint8Array(n);
    source.read(headerBytes, 8);
    this.header = parseHeader(headerBytes, source.length, name);
  }

  static fromBuffer(bytes: Uint8Array, name = 'safetensors buffer'): SafetensorsReader {
    assertLittleEndian();
    return new SafetensorsReader(bufferSource(bytes), name, () => undefined);
  }

  static open(path: string): SafetensorsReader {
    assertLittleEndian();
    const fd = fs.openSync(path, 'r');
    try {
      return new SafetensorsReader(fileSource(fd, path), path, () => fs.closeSync(fd));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
  }

  close(): void {
    this.close_();
  }

  names(): string[] {
    return [...this.header.tensors.keys()];
  }

  info(name: string): TensorInfo {
    const info = this.header.tensors.get(name);
    if (!info) throw new SafetensorsError('TensorNotFound', `no tensor named "${name}"`, this.name);
    return info;
  }

  private bytes(info: TensorInfo, into?: Uint8Array): Uint8Array {
    const out = into ?? new Uint8Array(info.end - info.begin);
    this.source.read(out, this.header.dataStart + info.begin);
    return out;
  }

  /** A floating-point tensor (F32, F16, BF16, F64) as float32 values. */
  readFloat32(name: string): Float32Array {
    const info = this.info(name);
    const n = elementCount(info.shape);
    if (info.dtype === 'F32') {
      const out = new Float32Array(n);
      this.bytes(info, new Uint8Array(out.buffer));
      return out;
    }
    if (!FLOAT_DTYPES.includes(info.dtype)) {
      throw new SafetensorsError('UnsupportedDtype', `tensor "${name}" is ${info.dtype}, expected a float type (${FLOAT_DTYPES.join(', ')})`, this.name);
    }
    // Widened one tensor at a time: the 16-bit copy lives only while its float32 values are written.
    const raw = this.bytes(info, info.dtype === 'F64' ? undefined : new Uint8Array(new Uint16Array(n).buffer));
    const out = new Float32Array(n);
    if (info.dtype === 'F16') {
      const half = new Uint16Array(raw.buffer, raw.byteOffset, n);
      const table = halfLookup();
      for (let i = 0; i < n; i++) out[i] = table[half[i]];
    } else if (info.dtype === 'BF16') {
      const half = new Uint16Array(raw.buffer, raw.byteOffset, n);
      const widened = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) widened[i] = half[i] << 16;
    } else {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
    }
    return out;
  }

  /** An integer or boolean tensor (I64, I32, I16, I8, U8, U16, BOOL) as int32 values. */
  readInt32(name: string): Int32Array {
    const info = this.info(name);
    const n = elementCount(info.shape);
    const raw = this.bytes(info);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      switch (info.dtype) {
        case 'I64': {
          const v = view.getBigInt64(8 * i, true);
          if (v > 2147483647n || v < -2147483648n) throw new SafetensorsError('UnsupportedDtype', `tensor "${name}" value ${v} does not fit int32`, this.name);
          out[i] = Number(v);
          break;
        }
        case 'I32': out[i] = view.getInt32(4 * i, true); break;
        case 'I16': out[i] = view.getInt16(2 * i, true); break;
        case 'U16': out[i] = view.getUint16(2 * i, true); break;
        case 'I8': out[i] = view.getInt8(i); break;
        case 'U8': case 'BOOL': out[i] = view.getUint8(i); break;
        default: throw new SafetensorsError('UnsupportedDtype', `tensor "${name}" is ${info.dtype}, expected an integer type`, this.name);
      }
    }
    return out;
  }
}

/** Every tensor of a file as float32 values by name, in file order (small files such as optimizer state). */
export function readFloat32Tensors(path: string): Map<string, { shape: number[]; data: Float32Array }> {
  const reader = SafetensorsReader.open(path);
  try {
    return new Map(reader.names().map((name) => [name, { shape: reader.info(name).shape, data: reader.readFloat32(name) }]));
  } finally {
    reader.close();
  }
}

const ARRAY_OF = { F32: Float32Array, I32: Int32Array, I64: BigInt64Array, U8: Uint8Array, F16: Uint16Array, BF16: Uint16Array } as const;

function tensorBytes(t: NamedTensor): Uint8Array {
  const data = typeof t.data === 'function' ? t.data() : t.data;
  if (!(data instanceof ARRAY_OF[t.dtype]) || data.length !== elementCount(t.shape)) {
    throw new Error(`safetensors writer: tensor "${t.name}" (${t.dtype} [${t.shape}]) got ${data.constructor.name} of ${data.length} values`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The file's bytes in order: length prefix, padded header, then each tensor's data (produced lazily). */
function* fileChunks(tensors: NamedTensor[], metadata?: Record<string, string>): Generator<Uint8Array> {
  assertLittleEndian();
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const { header, order } = layoutHeader(tensors, metadata);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  yield prefix;
  yield header;
  for (const info of order) yield tensorBytes(byName.get(info.name) as NamedTensor);
}

/** Writes tensors to a file one at a time, in the safetensors writer's order; metadata as transformers writes it. */
export function writeSafetensorsFile(path: string, tensors: NamedTensor[], metadata: Record<string, string> = { format: 'pt' }): void {
  const fd = fs.openSync(path, 'w');
  try {
    for (const chunk of fileChunks(tensors, metadata)) fs.writeSync(fd, chunk);
  } finally {
    fs.closeSync(fd);
  }
}

/** The whole file as one buffer (small files and tests). */
export function serializeSafetensors(tensors: NamedTensor[], metadata?: Record<string, string>): Uint8Array {
  return Buffer.concat([...fileChunks(tensors, metadata)]);
}
