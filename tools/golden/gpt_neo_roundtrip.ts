// Round-trip helper for tools/golden/gpt_neo.py: writes model folders with ftune for transformers to load.
// Usage: npx tsx tools/golden/gpt_neo_roundtrip.ts <golden tiny model dir> <output dir>
// Writes <out>/resaved (the golden folder loaded and saved again by ftune), <out>/random (a fresh 'tiny' ftune
// model, seed 1, with GPT-2 tokenizer files) and <out>/ftune-logits.safetensors (ftune's logits on fixed ids).
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type GPTNeoModel, createModel, loadModel, safetensors, saveModel } from '@ftune/model-gpt-neo';
import { loadTokenizer, saveTokenizerFiles } from '@ftune/tokenizer';

function logitsOf(model: GPTNeoModel, ids: number[]): Float32Array {
  const batch = { batchSize: 1, seqLen: ids.length, inputIds: Int32Array.from(ids) };
  return tf.tidy(() => model.logits(batch).dataSync() as Float32Array);
}

function main(): void {
  const [src, out] = process.argv.slice(2);
  if (!src || !out) throw new Error('usage: gpt_neo_roundtrip.ts <golden tiny model dir> <output dir>');
  const tensors: safetensors.NamedTensor[] = [];

  const loaded = loadModel(src);
  const tinyIds = [5, 17, 42, 8, 8, 63, 0, 31, 12, 50, 3, 27];
  saveModel(loaded, path.join(out, 'resaved'));
  tensors.push(safetensors.namedTensor('resaved.input_ids', [1, tinyIds.length], Int32Array.from(tinyIds)));
  tensors.push(safetensors.namedTensor('resaved.logits', [1, tinyIds.length, loaded.config.vocabSize], logitsOf(loaded, tinyIds)));
  loaded.dispose();

  const tokenizer = loadTokenizer('gpt2');
  const random = createModel('tiny', 1);
  saveModel(random, path.join(out, 'random'), { writeTokenizer: (dir) => saveTokenizerFiles(tokenizer, dir) });
  const ids = tokenizer.encodeIds('Hello world, this is ftune speaking to transformers about sliding windows.');
  tensors.push(safetensors.namedTensor('random.input_ids', [1, ids.length], Int32Array.from(ids)));
  tensors.push(safetensors.namedTensor('random.logits', [1, ids.length, random.config.vocabSize], logitsOf(random, ids)));
  random.dispose();

  safetensors.writeSafetensorsFile(path.join(out, 'ftune-logits.safetensors'), tensors);
}

main();
