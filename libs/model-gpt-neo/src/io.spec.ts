import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NamedTensor, SafetensorsReader, writeSafetensorsFile } from '@ftune/safetensors';
import { gptNeoConfig } from './config';
import { createModel } from './create';
import { loadModel, loadWeightsInto, saveModel } from './io';

const config = gptNeoConfig('tiny', { vocabSize: 40, hiddenSize: 8, numHeads: 2, maxPositionEmbeddings: 16, windowSize: 3 });
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-io-'));
const saved = path.join(root, 'saved');
const ids = { batchSize: 1, seqLen: 6, inputIds: Int32Array.from([1, 5, 9, 2, 2, 7]) };
let reference: Float32Array;

/** A copy of the saved folder whose weights file is rewritten by `edit`, and config.json by `editConfig`. */
function variant(name: string, edit: (t: NamedTensor[]) => NamedTensor[], editConfig: (c: Record<string, unknown>) => void = () => undefined): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const cfg = JSON.parse(fs.readFileSync(path.join(saved, 'config.json'), 'utf8')) as Record<string, unknown>;
  editConfig(cfg);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const r = SafetensorsReader.open(path.join(saved, 'model.safetensors'));
  const tensors = r.names().map((n): NamedTensor => ({ name: n, shape: r.info(n).shape, dtype: 'F32', data: r.readFloat32(n) }));
  r.close();
  writeSafetensorsFile(path.join(dir, 'model.safetensors'), edit(tensors));
  return dir;
}

function logitsOf(dir: string): Float32Array {
  const m = loadModel(dir);
  try {
    return tf.tidy(() => m.logits(ids).dataSync() as Float32Array);
  } finally {
    m.dispose();
  }
}

beforeAll(() => {
  const model = createModel(config, 3);
  reference = tf.tidy(() => model.logits(ids).dataSync() as Float32Array);
  fs.mkdirSync(path.join(root, 'tok'));
  fs.writeFileSync(path.join(root, 'tok', 'tokenizer.json'), '{}');
  fs.writeFileSync(path.join(root, 'tok', 'chat_template.jinja'), '{{ messages }}');
  fs.mkdirSync(path.join(root, 'tok', 'additional_chat_templates'));
  fs.writeFileSync(path.join(root, 'tok', 'additional_chat_templates', 'tool_use.jinja'), '{{ tools }}');
  saveModel(model, saved, { tokenizerDir: path.join(root, 'tok') });
  model.dispose();
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('saveModel / loadModel', () => {
  it('writes config, generation config, float32 weights without lm_head.weight, and the tokenizer files', () => {
    expect(fs.readdirSync(saved).sort()).toEqual([
      'additional_chat_templates', 'chat_template.jinja', 'config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json',
    ]);
    expect(fs.readFileSync(path.join(saved, 'additional_chat_templates', 'tool_use.jinja'), 'utf8')).toBe('{{ tools }}');
    const r = SafetensorsReader.open(path.join(saved, 'model.safetensors'));
    expect(r.names()).not.toContain('lm_head.weight');
    expect(r.info('transformer.h.0.mlp.c_fc.weight').shape).toEqual([32, 8]); // [out, in]
    expect(r.header.metadata).toEqual({ format: 'pt' });
    r.close();
    const hf = JSON.parse(fs.readFileSync(path.join(saved, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(hf).toMatchObject({ model_type: 'gpt_neo', architectures: ['GPTNeoForCausalLM'], attention_types: [[['global', 'local'], 1]], window_size: 3 });
  });

  it('loads back to identical logits', () => {
    expect(Array.from(logitsOf(saved))).toEqual(Array.from(reference));
  });

  it('loads a folder into a live model of the same architecture, and refuses another architecture', () => {
    const other = createModel(config, 99);
    try {
      loadWeightsInto(other, saved);
      expect(Array.from(tf.tidy(() => other.logits(ids).dataSync()))).toEqual(Array.from(reference));
    } finally {
      other.dispose();
    }
    const bigger = createModel({ ...config, hiddenSize: 16 }, 1);
    try {
      expect(() => loadWeightsInto(bigger, saved)).toThrow(/different architecture/);
    } finally {
      bigger.dispose();
    }
  });

  it('tolerates lm_head.weight and the old attention buffers', () => {
    const dir = variant('legacy', (t) => [
      ...t,
      { name: 'lm_head.weight', shape: [40, 8], dtype: 'F32', data: t.find((x) => x.name === 'transformer.wte.weight')?.data as Float32Array },
      { name: 'transformer.h.0.attn.attention.bias', shape: [1, 1, 16, 16], dtype: 'U8', data: new Uint8Array(256) },
      { name: 'transformer.h.0.attn.attention.masked_bias', shape: [], dtype: 'F32', data: Float32Array.from([-1e9]) },
    ]);
    expect(Array.from(logitsOf(dir))).toEqual(Array.from(reference));
  });

  it('accepts a base-model checkpoint saved without the "transformer." prefix', () => {
    const dir = variant('base', (t) => t.map((x) => ({ ...x, name: x.name.replace(/^transformer\./, '') })));
    expect(Array.from(logitsOf(dir))).toEqual(Array.from(reference));
  });

  it('refuses a Linear weight stored [in, out], naming the layout', () => {
    const dir = variant('transposed', (t) => t.map((x) => (x.name === 'transformer.h.1.mlp.c_proj.weight' ? { ...x, shape: [32, 8] } : x)));
    expect(() => loadModel(dir)).toThrow(/c_proj.weight has shape \[32,8\], expected \[8,32\] \(transposed\? nn.Linear weights are stored \[out, in\]\)/);
  });

  it('refuses missing parameters and tensors that are not GPT-Neo parameters', () => {
    const missing = variant('missing', (t) => t.filter((x) => x.name !== 'transformer.ln_f.bias'));
    expect(() => loadModel(missing)).toThrow(/missing 1 parameter\(s\): transformer.ln_f.bias/);
    const extra = variant('extra', (t) => [...t, { name: 'transformer.h.0.attn.c_attn.weight', shape: [1], dtype: 'F32', data: new Float32Array(1) }]);
    expect(() => loadModel(extra)).toThrow(/not GPT-Neo parameters: transformer.h.0.attn.c_attn.weight/);
  });

  it('refuses other architectures by config.json', () => {
    const gpt2 = variant('gpt2', (t) => t, (c) => Object.assign(c, { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
    expect(() => loadModel(gpt2)).toThrow(/model_type is "gpt2", ftune supports only "gpt_neo"/);
    const seq = variant('seqcls', (t) => t, (c) => Object.assign(c, { architectures: ['GPTNeoForSequenceClassification'] }));
    expect(() => loadModel(seq)).toThrow(/architectures \["GPTNeoForSequenceClassification"\] are not supported/);
    expect(() => loadModel(path.join(root, 'nowhere'))).toThrow(/no config.json/);
  });
});
