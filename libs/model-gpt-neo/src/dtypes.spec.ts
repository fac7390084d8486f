// 16-bit, sharded folders against transformers 4.53.2 (and a bfloat16 adapter against peft 0.17.1), from
// tools/golden/gpt_neo_dtypes.py: the tiny golden model saved in float16 and bfloat16 over several shards. The
// reference logits are transformers' in float32 on the same dtype-rounded weights, as ftune computes them, so the
// tolerance is the float32 golden's (1e-4 relative); the rounding itself moves the logits by more than that.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { SafetensorsReader, WeightFolder } from '@ftune/safetensors';
import { loadModelFolder } from './folder';
import { loadModel } from './io';
import type { GPTNeoBatch, GPTNeoModel } from './model';
import { relativeError } from './testing/relative-error';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const DIR = path.join(FIXTURES, 'gpt-neo-dtypes');
const golden = SafetensorsReader.open(path.join(DIR, 'golden.safetensors'));
const inputs = SafetensorsReader.open(path.join(FIXTURES, 'gpt-neo', 'golden.safetensors'));
const [B, T] = inputs.info('right.input_ids').shape;
const batch: GPTNeoBatch = { batchSize: B, seqLen: T, inputIds: inputs.readInt32('right.input_ids'), attentionMask: inputs.readInt32('right.attention_mask') };
const TOLERANCE = 1e-4;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-dtypes-'));

afterAll(() => {
  golden.close();
  inputs.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function logitsOf(model: GPTNeoModel): Float32Array {
  try {
    return tf.tidy(() => model.logits(batch).dataSync() as Float32Array);
  } finally {
    model.dispose();
  }
}

/** A copy of a fixture folder, for variants that break it. */
function copyOf(name: string): string {
  const dir = path.join(tmp, `${name}-${fs.readdirSync(tmp).length}`);
  fs.cpSync(path.join(DIR, name), dir, { recursive: true });
  return dir;
}

describe.each([
  ['float16', 'F16'],
  ['bfloat16', 'BF16'],
])('a sharded %s folder saved by transformers', (name, dtype) => {
  it(`is several ${dtype} shards with an index`, () => {
    const folder = WeightFolder.open(path.join(DIR, name));
    try {
      expect(new Set(folder.names().map((n) => folder.pathOf(n))).size).toBeGreaterThanOrEqual(3);
      expect(new Set(folder.names().map((n) => folder.info(n).dtype))).toEqual(new Set([dtype]));
    } finally {
      folder.close();
    }
  });

  it(`loads to transformers' logits on the ${name}-rounded weights within ${TOLERANCE}`, () => {
    const ours = logitsOf(loadModel(path.join(DIR, name)));
    expect(relativeError(ours, golden.readFloat32(`${name}.logits`))).toBeLessThan(TOLERANCE);
    // The rounding is visible: the float32 model's logits are further away than the tolerance.
    expect(relativeError(ours, golden.readFloat32('float32.logits'))).toBeGreaterThan(10 * TOLERANCE);
  });
});

describe('a bfloat16 adapter saved by peft', () => {
  it('loads onto its bfloat16 base to peft\'s logits within 1e-4', () => {
    const ours = logitsOf(loadModelFolder(path.join(DIR, 'adapter-bfloat16')));
    expect(relativeError(ours, golden.readFloat32('bfloat16-adapter.logits'))).toBeLessThan(TOLERANCE);
  });
});

describe('a broken sharded folder is refused before any weight is read, naming the file and the tensor', () => {
  it('a shard that is missing', () => {
    const dir = copyOf('float16');
    fs.rmSync(path.join(dir, 'model-00003-of-00004.safetensors'));
    expect(() => loadModel(dir)).toThrow(/model.safetensors.index.json: shard .*model-00003-of-00004.safetensors \(listed for tensor "transformer\.h\.\d.*"\) is missing/);
  });

  it('an index that names a tensor its shard does not hold', () => {
    const dir = copyOf('float16');
    const indexFile = path.join(dir, 'model.safetensors.index.json');
    const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as { weight_map: Record<string, string> };
    const moved = 'transformer.ln_f.weight';
    const elsewhere = Object.values(index.weight_map).find((f) => f !== index.weight_map[moved]) as string;
    index.weight_map[moved] = elsewhere;
    fs.writeFileSync(indexFile, JSON.stringify(index));
    expect(() => loadModel(dir)).toThrow(new RegExp(`tensor "${moved}" is listed in ${elsewhere}, but .*${elsewhere} does not hold it`));
  });

  it('a parameter stored in a dtype ftune does not widen', () => {
    const dir = copyOf('float16');
    const index = JSON.parse(fs.readFileSync(path.join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    const name = 'transformer.h.1.ln_2.bias';
    const file = path.join(dir, index.weight_map[name]);
    // Relabel the tensor F16 → I16 in the shard's header (same size, so the file stays valid).
    const bytes = fs.readFileSync(file);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, { dtype: string }>;
    header[name].dtype = 'I16';
    const text = Buffer.from(JSON.stringify(header).padEnd(n, ' '));
    expect(text.length).toBe(n);
    text.copy(bytes, 8);
    fs.writeFileSync(file, bytes);
    expect(() => loadModel(dir)).toThrow(new RegExp(`${index.weight_map[name]}: ${name.replace(/\./g, '\\.')} is I16; model weights must be a float type`));
  });
});
