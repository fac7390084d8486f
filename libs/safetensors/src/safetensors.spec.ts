import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsReader, namedTensor, readFloat32Tensors, serializeSafetensors, writeSafetensorsFile } from './file';
import { WeightFolder, writeWeights } from './folder';

/** A file from a header object (or raw JSON text) and a data buffer, unpadded. */
function fileOf(header: object | string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([prefix, json, data]);
}

const read = (bytes: Uint8Array) => SafetensorsReader.fromBuffer(bytes);

describe('safetensors writer', () => {
  it('writes the reference file byte for byte (I64 a = [7], F32 b = [1, −2], metadata format pt)', () => {
    const bytes = serializeSafetensors(
      [namedTensor('b', [2], Float32Array.from([1, -2])), namedTensor('a', [1], BigInt64Array.from([7n]))],
      { format: 'pt' },
    );
    const header = '{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}';
    const want = '9000000000000000' + Buffer.from(header).toString('hex') + '2020202020' + '0700000000000000' + '0000803f000000c0';
    expect(Buffer.from(bytes).toString('hex')).toBe(want);
    expect(bytes.length).toBe(168);
  });

  it('orders by dtype (descending) then name bytes, so I64 "z" precedes F32 "a" and "h.10" precedes "h.2"', () => {
    const bytes = serializeSafetensors([
      namedTensor('a', [1], Float32Array.from([1])),
      namedTensor('h.2', [1], Float32Array.from([2])),
      namedTensor('h.10', [1], Float32Array.from([3])),
      namedTensor('z', [1], BigInt64Array.from([1n])),
    ]);
    const r = read(bytes);
    const order = r.names().sort((x, y) => r.info(x).begin - r.info(y).begin);
    expect(order).toEqual(['z', 'a', 'h.10', 'h.2']);
    expect(r.header.dataStart % 8).toBe(0);
    expect(Array.from(r.readFloat32('h.10'))).toEqual([3]);
  });
});

describe('safetensors reader accepts', () => {
  it('the unpadded documentation example (N = 60)', () => {
    const r = read(fileOf('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Uint8Array(16)));
    expect(r.header.dataStart).toBe(68);
    expect(Array.from(r.readInt32('test'))).toEqual([0, 0, 0, 0]);
  });

  it('a zero-size tensor, a scalar, a space-padded header and entries out of offset order', () => {
    const header = '{"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[2,0],"data_offsets":[0,0]}}   ';
    const r = read(fileOf(header, new Uint8Array(Float32Array.from([2.5]).buffer)));
    expect(Array.from(r.readFloat32('s'))).toEqual([2.5]);
    expect(r.readFloat32('e')).toHaveLength(0);
  });

  it('F16, BF16 and I64 written by the Python safetensors package', () => {
    const r = SafetensorsReader.open(path.join(__dirname, '..', 'fixtures', 'dtypes.safetensors'));
    const f32 = Array.from(r.readFloat32('f32'));
    expect(f32).toEqual([1, -2.5, 3.140625, 0, 65504, Math.fround(-1e-3)]);
    expect(Array.from(r.readFloat32('f16'))).toEqual([1, -2.5, 3.140625, 0, 65504, -0.0010004043579101562]);
    expect(Array.from(r.readFloat32('bf16'))).toEqual([1, -2.5, 3.140625, 0, 65536, -0.00099945068359375]);
    expect(Array.from(r.readInt32('i64'))).toEqual([7, -3, 2 ** 31 - 1, -(2 ** 31)]);
    expect(() => r.readInt32('f32')).toThrow(/expected an integer type/);
    expect(() => r.readFloat32('i64')).toThrow(/expected a float type/);
    r.close();
  });
});

describe('safetensors reader rejects', () => {
  const t = (begin: number, end: number, shape = [2]) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a file shorter than 8 bytes', new Uint8Array(4), /HeaderTooSmall/],
    ['a header length past the end', fileOf('{}').subarray(0, 9), /InvalidHeaderLength/],
    ['a header over 100,000,000 bytes', Buffer.from('00e1f50501000000', 'hex'), /HeaderTooLarge/],
    ['invalid JSON', fileOf('{"a":'), /InvalidHeaderDeserialization/],
    ['a gap between tensors', fileOf({ a: t(0, 8), b: t(9, 17) }, new Uint8Array(17)), /InvalidOffset.*"b"/],
    ['overlapping tensors', fileOf({ a: t(0, 8), b: t(4, 12) }, new Uint8Array(12)), /InvalidOffset/],
    ['a size that does not match the shape', fileOf({ a: { dtype: 'I32', shape: [2, 2], data_offsets: [0, 4] } }, new Uint8Array(4)), /TensorInvalidInfo/],
    ['a trailing byte', fileOf({ a: t(0, 8) }, new Uint8Array(9)), /MetadataIncompleteBuffer/],
    ['non-string metadata', fileOf({ __metadata__: { n: 1 } }), /__metadata__ must map strings to strings/],
    ['an unknown dtype', fileOf({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)), /no known dtype/],
  ];
  for (const [label, bytes, error] of cases) {
    it(label, () => expect(() => read(bytes)).toThrow(error));
  }
});

describe('sharded folders', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-st-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes shards with model.safetensors.index.json above the size limit and reads them back', () => {
    const tensors = ['x', 'y', 'z'].map((n, i) => namedTensor(n, [4], Float32Array.from([i, i, i, i])));
    expect(writeWeights(dir, tensors, 40)).toEqual(['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json']);
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { metadata: { total_size: number } };
    expect(index.metadata.total_size).toBe(48);
    const folder = WeightFolder.open(dir);
    expect(folder.names().sort()).toEqual(['x', 'y', 'z']);
    expect(Array.from(folder.readFloat32('z'))).toEqual([2, 2, 2, 2]);
    folder.close();
  });

  it('reads every tensor of a file as float32 by name, in file order', () => {
    const file = path.join(dir, 'state.safetensors');
    writeSafetensorsFile(file, [namedTensor('m.b', [2], Float32Array.from([3, 4])), namedTensor('m.a', [1, 1], Float32Array.from([-1]))]);
    const all = readFloat32Tensors(file);
    expect([...all.keys()]).toEqual(['m.a', 'm.b']);
    expect(all.get('m.a')).toEqual({ shape: [1, 1], data: Float32Array.from([-1]) });
    expect(Array.from(all.get('m.b')?.data ?? [])).toEqual([3, 4]);
  });

  it('names the index, the shard and the tensor when the index lists a tensor its shard does not hold', () => {
    const indexFile = path.join(dir, 'model.safetensors.index.json');
    const saved = fs.readFileSync(indexFile, 'utf8');
    const index = JSON.parse(saved) as { weight_map: Record<string, string> };
    index.weight_map.w = 'model-00001-of-00002.safetensors';
    fs.writeFileSync(indexFile, JSON.stringify(index));
    try {
      expect(() => WeightFolder.open(dir)).toThrow(/model.safetensors.index.json: tensor "w" is listed in model-00001-of-00002.safetensors, but .*model-00001-of-00002.safetensors does not hold it/);
    } finally {
      fs.writeFileSync(indexFile, saved);
    }
  });

  it('widens F16 and BF16 shards per tensor and names the file and tensor of a dtype it cannot widen', () => {
    const sub = path.join(dir, 'half');
    fs.mkdirSync(sub);
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x7c00, 0x0001, 0x8000, 0x3555]); // 1, −2, ∞, 2⁻²⁴, −0, 0.333251953125
    const bf16 = Uint16Array.from([0x3f80, 0xc020, 0x3eab]); // 1, −2.5, 0.333984375
    writeWeights(sub, [
      { name: 'h', shape: [6], dtype: 'F16', data: f16 },
      { name: 'b', shape: [3], dtype: 'BF16', data: bf16 },
      namedTensor('i', [2], Int32Array.from([1, 2])),
    ], 12);
    const folder = WeightFolder.open(sub);
    try {
      expect(new Set(folder.names().map((n) => folder.pathOf(n))).size).toBe(3);
      expect(Array.from(folder.readFloat32('h'))).toEqual([1, -2, Infinity, 2 ** -24, -0, 0.333251953125]);
      expect(Array.from(folder.readFloat32('b'))).toEqual([1, -2.5, 0.333984375]);
      expect(() => folder.readFloat32('i')).toThrow(/model-0000\d-of-00003.safetensors: UnsupportedDtype: tensor "i" is I32, expected a float type/);
    } finally {
      folder.close();
    }
    expect(() => serializeSafetensors([namedTensor('u', [1], Uint16Array.from([1]))])).toThrow(/give F16 or BF16 explicitly/);
  });

  it('names a shard that the index lists but that is missing, with the tensor it was listed for', () => {
    fs.rmSync(path.join(dir, 'model-00002-of-00002.safetensors'));
    expect(() => WeightFolder.open(dir)).toThrow(/shard .*model-00002-of-00002.safetensors \(listed for tensor "z"\) is missing/);
  });
});
