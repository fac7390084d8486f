// Round-trip helper for tools/golden/lora.py: writes a LoRA adapter folder and a merged model folder with ftune for
// peft and transformers to load. Usage: npx tsx tools/golden/lora_roundtrip.ts <golden tiny model dir> <output dir>
// Writes <out>/adapter (fresh adapters r=2, alpha 16, every Linear layer, rslora, bias "all", all set to seeded values),
// <out>/merged (the adapters folded into the weights), <out>/adapter-lora-only (r=2, alpha 4 on q_proj, out_proj and
// c_fc with bias "lora_only", adapters and the targeted biases seeded) and <out>/ftune-logits.safetensors (ftune's
// logits on fixed ids without the adapter, with it, after merging, and with the lora_only adapter).
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type GPTNeoModel, LORA_TARGETS, loadModel, safetensors, saveAdapter, saveModel } from '@ftune/model-gpt-neo';

function logitsOf(model: GPTNeoModel, ids: number[]): Float32Array {
  const batch = { batchSize: 1, seqLen: ids.length, inputIds: Int32Array.from(ids) };
  return tf.tidy(() => model.logits(batch).dataSync() as Float32Array);
}

function main(): void {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: lora_roundtrip.ts <golden tiny model dir> <output dir>');
  const ids = [5, 17, 42, 8, 8, 63, 0, 31, 12, 50, 3, 27];
  const model = loadModel(src);
  const shape = [1, ids.length, model.config.vocabSize];
  const tensors = [safetensors.namedTensor('input_ids', [1, ids.length], Int32Array.from(ids))];
  tensors.push(safetensors.namedTensor('base.logits', shape, logitsOf(model, ids)));
  model.attachLora({ r: 2, alpha: 16, dropout: 0.1, targets: [...LORA_TARGETS], rslora: true, bias: 'all' }, 7);
  // B starts at 0 (no change) and the biases at the base's; seeded values make the adapter and the biases matter
  model.trainableVariables.forEach((v, i) => v.assign(tf.tidy(() => tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 100 + i), 0.2))));
  tensors.push(safetensors.namedTensor('adapter.logits', shape, logitsOf(model, ids)));
  saveAdapter(model, path.join(out, 'adapter'), { baseModel: src });
  model.mergeLora();
  tensors.push(safetensors.namedTensor('merged.logits', shape, logitsOf(model, ids)));
  saveModel(model, path.join(out, 'merged'));
  model.dispose();
  const loraOnly = loadModel(src);
  loraOnly.attachLora({ r: 2, alpha: 4, dropout: 0, targets: ['q_proj', 'out_proj', 'c_fc'], bias: 'lora_only' }, 9);
  loraOnly.trainableVariables.forEach((v, i) => v.assign(tf.tidy(() => tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', 200 + i), 0.2))));
  tensors.push(safetensors.namedTensor('lora_only.logits', shape, logitsOf(loraOnly, ids)));
  saveAdapter(loraOnly, path.join(out, 'adapter-lora-only'), { baseModel: src });
  loraOnly.dispose();
  safetensors.writeSafetensorsFile(path.join(out, 'ftune-logits.safetensors'), tensors);
}

main();
