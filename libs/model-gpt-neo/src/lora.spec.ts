// LoRA on GPT-Neo: against peft 0.17 (fixtures of tools/golden/lora.py: logits, loss and adapter gradients within
// the model's tolerances, 1e-4 and 1e-3 relative; ftune's adapter and merged folders loaded by peft and transformers),
// and the behaviour around it (bias "all" and "lora_only" included): a fresh adapter changes nothing, the base stays frozen, merging keeps the logits,
// saved adapters load back, and hostile adapter folders are refused naming the field.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SafetensorsReader } from '@ftune/safetensors';
import { peftBiasKey } from './lora';
import { isAdapterFolder, loadAdapter, loadAdapterWeightsInto, readAdapterConfig, saveAdapter } from './adapter-io';
import { loadModelFolder, openModelFolder } from './folder';
import { loadModel, saveModel } from './io';
import type { GPTNeoBatch, GPTNeoModel } from './model';
import { relativeError } from './testing/relative-error';

const FIXTURES = path.join(__dirname, '..', 'fixtures');
const TINY = path.join(FIXTURES, 'gpt-neo', 'tiny');
const PEFT_ADAPTER = path.join(FIXTURES, 'lora', 'peft-adapter');
const inputs = SafetensorsReader.open(path.join(FIXTURES, 'gpt-neo', 'golden.safetensors'));
const golden = SafetensorsReader.open(path.join(FIXTURES, 'lora', 'golden.safetensors'));

const roundtrip = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'lora', 'roundtrip.json'), 'utf8'));

const [B, T] = inputs.info('right.input_ids').shape;
const batch: GPTNeoBatch = {
  batchSize: B,
  seqLen: T,
  inputIds: inputs.readInt32('right.input_ids'),
  attentionMask: inputs.readInt32('right.attention_mask'),
  labels: inputs.readInt32('right.labels'),
};


const logitsOf = (m: GPTNeoModel): Float32Array => tf.tidy(() => m.logits(batch).dataSync() as Float32Array);

/** peft's logits and loss on the batch, within 1e-4 relative. */
function expectPeftOutputs(m: GPTNeoModel, reference: SafetensorsReader): void {
  expect(relativeError(logitsOf(m), reference.readFloat32('logits'))).toBeLessThan(1e-4);
  const want = reference.readFloat32('loss')[0];
  expect(Math.abs(m.loss(batch) - want) / want).toBeLessThan(1e-4);
}

afterAll(() => {
  inputs.close();
  golden.close();
});

describe('LoRA against peft (golden fixtures)', () => {
  const model = loadModel(TINY);
  loadAdapter(model, PEFT_ADAPTER);
  afterAll(() => model.dispose());

  it('reads the adapter peft saved with its config (r 4, alpha 8, q_proj, v_proj and c_fc of 3 blocks)', () => {
    const lora = model.adapters;
    expect(lora?.config).toMatchObject({ r: 4, alpha: 8, dropout: 0.05 });
    expect(lora?.scale).toBe(2);
    expect(lora?.layers.map((l) => l.module.path.split('.').slice(-1)[0]).sort()).toEqual(
      ['c_fc', 'c_fc', 'c_fc', 'q_proj', 'q_proj', 'q_proj', 'v_proj', 'v_proj', 'v_proj'],
    );
  });

  it('opens from the adapter folder alone (its config names the base, relative to the folder)', () => {
    const opened = openModelFolder(PEFT_ADAPTER);
    expect(relativeError(logitsOf(opened.model), logitsOf(model))).toBe(0);
    opened.model.dispose();
  });

  it("gives peft's logits and loss within 1e-4", () => expectPeftOutputs(model, golden));

  it("trains only the adapters, with peft's gradients of the mean loss within 1e-3", () => {
    const variables = model.trainableVariables;
    const keys = golden.names().filter((n) => n.startsWith('grad.'));
    expect(variables.map((v) => `grad.${model.hfName(v)}`).sort()).toEqual(keys.sort());
    const { trainable, total } = model.parameterCount();
    expect(roundtrip.peft_adapter_parameters).toMatchObject({ trainable, total }); // peft's count of the same model
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => {
        const t = model.lossTerms(batch);
        return tf.div(t.lossSum, t.tokens) as tf.Scalar;
      }); // the default list: every trainable variable, so a base weight left trainable would show up here
      expect(Object.keys(g).sort()).toEqual(variables.map((v) => v.name).sort());
      return variables.map((v) => tf.transpose(g[v.name]).dataSync()); // held [in, out], peft's [out, in]
    });
    variables.forEach((v, i) => {
      expect(relativeError(grads[i], golden.readFloat32(`grad.${model.hfName(v)}`)), v.name).toBeLessThan(1e-3);
    });
  });
});

// bias "all": every bias trained and saved; "lora_only": the targeted layers' biases trained (out_proj and c_fc have
// one, q_proj none), and peft 0.17.1's file holds none of them, so ftune keeps the base's on loading
describe.each([
  ['all', 'peft-adapter-bias', 'golden-bias.safetensors', 'peft_bias_adapter_parameters'],
  ['lora_only', 'peft-adapter-lora-only', 'golden-lora-only.safetensors', 'peft_lora_only_adapter_parameters'],
] as const)('LoRA with bias "%s" against peft (golden fixtures)', (bias, folder, goldenFile, counts) => {
  const model = loadModel(TINY);
  loadAdapter(model, path.join(FIXTURES, 'lora', folder));
  const biasGolden = SafetensorsReader.open(path.join(FIXTURES, 'lora', goldenFile));
  afterAll(() => {
    model.dispose();
    biasGolden.close();
  });
  const targeted = new Set(model.adapters?.layers.map((l) => l.module.path));
  // a variable's key in peft's files: an adapter's its own name, a bias peft's (under base_layer when targeted)
  const keyOf = (v: tf.Variable): string => (model.hfName(v).startsWith('base_model.') ? model.hfName(v) : peftBiasKey(model.hfName(v), targeted));

  it("loads what peft saved and gives peft's logits and loss within 1e-4", () => {
    expect(model.adapters?.config.bias).toBe(bias);
    expectPeftOutputs(model, biasGolden);
  });

  it("trains the adapters and the biases peft trains, with peft's gradients within 1e-3 and peft's count", () => {
    const variables = model.trainableVariables;
    expect(variables.map((v) => `grad.${keyOf(v)}`).sort()).toEqual(biasGolden.names().filter((n) => n.startsWith('grad.')).sort());
    const { trainable, total } = model.parameterCount();
    expect(roundtrip[counts]).toMatchObject({ trainable, total });
    const grads = tf.tidy(() => {
      const { grads: g } = tf.variableGrads(() => {
        const t = model.lossTerms(batch);
        return tf.div(t.lossSum, t.tokens) as tf.Scalar;
      });
      return variables.map((v) => (v.rank === 2 ? tf.transpose(g[v.name]) : g[v.name]).dataSync());
    });
    variables.forEach((v, i) => {
      expect(relativeError(grads[i], biasGolden.readFloat32(`grad.${keyOf(v)}`)), v.name).toBeLessThan(1e-3);
    });
  });
});

it('bias "lora_only": peft trains the targeted biases but saves none; ftune saves them and loads them back', () => {
  expect(roundtrip.peft_lora_only_adapter_parameters.saved_biases).toEqual([]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-lora-only-'));
  const model = loadModel(TINY);
  const reloaded = loadModel(TINY);
  try {
    const lora = model.attachLora({ r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'out_proj', 'c_fc'], bias: 'lora_only' }, 3);
    const biases = model.trainedBiases();
    expect(biases.map((v) => model.hfName(v).split('.').slice(-2).join('.')).sort()).toEqual(
      ['c_fc.bias', 'c_fc.bias', 'c_fc.bias', 'out_proj.bias', 'out_proj.bias', 'out_proj.bias'],
    );
    [...lora.variables, ...biases].forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.3, 'float32', 40 + i))));
    const adapted = logitsOf(model);
    saveAdapter(model, dir, { baseModel: TINY });
    const file = SafetensorsReader.open(path.join(dir, 'adapter_model.safetensors'));
    const saved = file.names().filter((n) => !n.includes('lora_'));
    file.close();
    expect(saved.sort()).toEqual(biases.map((v) => peftBiasKey(model.hfName(v), new Set(lora.layers.map((l) => l.module.path)))).sort());
    expect(saved.every((k) => k.endsWith('.base_layer.bias'))).toBe(true);
    loadAdapter(reloaded, dir);
    expect(relativeError(logitsOf(reloaded), adapted)).toBe(0);
  } finally {
    model.dispose();
    reloaded.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

it('refuses a bias "lora_only" folder that holds biases of layers it does not target', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-lora-only-'));
  const model = loadModel(TINY);
  try {
    const from = path.join(FIXTURES, 'lora', 'peft-adapter-bias'); // bias "all": every bias saved
    fs.copyFileSync(path.join(from, 'adapter_model.safetensors'), path.join(dir, 'adapter_model.safetensors'));
    const config = JSON.parse(fs.readFileSync(path.join(from, 'adapter_config.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify({ ...config, bias: 'lora_only', base_model_name_or_path: TINY }));
    expect(() => loadAdapter(model, dir)).toThrow(/not adapters of the configured modules: .*ln_1\.bias/);
    expect(model.adapters).toBeNull();
  } finally {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('ftune adapters as peft and transformers read them (golden round trip)', () => {
  const result = roundtrip;
  it('peft loaded all 18 adapters and the biases of an all-linear rslora adapter with bias "all", logits equal within 1e-5', () => {
    expect(result.adapter.peft_loaded_modules).toHaveLength(18);
    expect(result.adapter.peft_config).toMatchObject({ bias: 'all', use_rslora: true });
    expect(result.adapter.relative_logit_diff).toBeLessThan(1e-5);
    expect(result.adapter.adapter_changes_logits).toBeGreaterThan(1e-2);
  });
  it('transformers loaded the merged folder with no missing or extra keys and equal logits within 1e-5', () => {
    expect(result.merged.missing_keys).toEqual([]);
    expect(result.merged.unexpected_keys).toEqual([]);
    expect(result.merged.relative_logit_diff).toBeLessThan(1e-5);
  });
  it('peft loaded an ftune adapter with bias "lora_only", its 6 targeted biases included, logits equal within 1e-5', () => {
    expect(result.lora_only.saved_biases).toHaveLength(6);
    expect(result.lora_only.relative_logit_diff).toBeLessThan(1e-5);
    expect(result.lora_only.biases_change_logits).toBeGreaterThan(1e-3);
  });
});

describe('LoRA adapters', () => {
  let dir: string;
  let model: GPTNeoModel;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-lora-'));
    model = loadModel(TINY);
  });
  afterEach(() => {
    model.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('start as no change (B = 0), freeze the base and count only themselves as trainable', () => {
    const before = logitsOf(model);
    const all = model.parameterCount().total;
    model.attachLora({ r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'] }, 1);
    expect(relativeError(logitsOf(model), before)).toBe(0);
    // 3 blocks × 2 modules × (16·8 + 8·16)
    expect(model.parameterCount()).toEqual({ total: all + 1536, trainable: 1536 });
    expect(model.param('transformer.h.0.attn.attention.q_proj.weight').trainable).toBe(false);
  });

  it('merge into the weights with the same logits (within 1e-5) and save a folder that loads as a plain model', () => {
    const lora = model.attachLora({ r: 2, alpha: 4, dropout: 0, targets: ['c_proj', 'out_proj'] }, 1);
    lora.variables.forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.3, 'float32', i))));
    const adapted = logitsOf(model);
    model.mergeLora();
    expect(model.adapters).toBeNull();
    expect(relativeError(logitsOf(model), adapted)).toBeLessThan(1e-5);
    saveModel(model, dir);
    const reloaded = loadModel(dir);
    expect(relativeError(logitsOf(reloaded), adapted)).toBeLessThan(1e-5);
    reloaded.dispose();
  });

  it('save as a PEFT folder that opens as base + adapter (folder alone, or --adapter) and resumes into a live model', () => {
    const lora = model.attachLora({ r: 3, alpha: 6, dropout: 0.1, targets: ['v_proj'], layers: [1, 2] }, 5);
    lora.variables.forEach((v, i) => v.assign(tf.tidy(() => tf.randomNormal(v.shape, 0, 0.3, 'float32', i))));
    const adapted = logitsOf(model);
    saveAdapter(model, dir, { baseModel: TINY });
    expect(isAdapterFolder(dir)).toBe(true);
    expect(readAdapterConfig(dir)).toEqual({
      lora: { r: 3, alpha: 6, dropout: 0.1, targets: ['v_proj'], layers: [1, 2] },
      baseModel: TINY,
    });
    const opened = openModelFolder(dir);
    expect(relativeError(logitsOf(opened.model), adapted)).toBe(0);
    opened.model.dispose();
    const explicit = loadModelFolder(TINY, dir);
    expect(relativeError(logitsOf(explicit), adapted)).toBe(0);
    explicit.dispose();
    lora.variables.forEach((v) => v.assign(tf.zerosLike(v)));
    loadAdapterWeightsInto(model, dir);
    expect(relativeError(logitsOf(model), adapted)).toBe(0);
  });

  const config = (extra: object) => ({ peft_type: 'LORA', r: 4, lora_alpha: 8, target_modules: ['q_proj', 'v_proj', 'c_fc'], ...extra });
  const hostile: Array<[string, object, RegExp]> = [
    ['DoRA', { use_dora: true }, /use_dora .* not supported/],
    ['bias "all" without the biases', { bias: 'all' }, /missing base_model\.model\.transformer\.h\.0\.ln_1\.bias \(bias "all" saves the biases it trains\)/],
    ['another method', { peft_type: 'IA3' }, /peft_type must be "LORA"/],
    ['a rank of 0', { r: 0 }, /r must be an integer ≥ 1/],
    ['a rank unlike the file', { r: 5 }, /has shape \[5,16\], expected|has shape \[4,16\], expected \[5,16\]/],
    ['targets that select nothing', { target_modules: ['lm_head'] }, /select none/],
    ['fewer targets than the file holds', { target_modules: ['q_proj', 'v_proj'] }, /not adapters of the configured modules/],
    ['targets the file lacks', { target_modules: ['q_proj', 'v_proj', 'c_fc', 'k_proj'] }, /missing base_model\.model\.transformer\.h\.0\.attn\.attention\.k_proj\.lora_A/],
    ['a layer the model lacks', { layers_to_transform: [7] }, /layers_to_transform: 7/],
  ];
  for (const [what, extra, message] of hostile) {
    it(`refuses an adapter folder with ${what}, naming the field`, () => {
      fs.copyFileSync(path.join(PEFT_ADAPTER, 'adapter_model.safetensors'), path.join(dir, 'adapter_model.safetensors'));
      fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(config(extra)));
      const tensorsBefore = tf.memory().numTensors;
      expect(() => loadAdapter(model, dir)).toThrow(message);
      expect(model.adapters).toBeNull();
      expect(tf.memory().numTensors).toBe(tensorsBefore);
    });
  }

  it('refuses an adapter folder whose base is not a model folder here, pointing at --model/--adapter', () => {
    fs.copyFileSync(path.join(PEFT_ADAPTER, 'adapter_model.safetensors'), path.join(dir, 'adapter_model.safetensors'));
    fs.writeFileSync(path.join(dir, 'adapter_config.json'), JSON.stringify(config({ base_model_name_or_path: 'EleutherAI/gpt-neo-125m' })));
    expect(() => openModelFolder(dir)).toThrow(/base_model_name_or_path .* --adapter/);
  });
});
