// For the specs: the golden fixtures of tools/golden/gpt_neo.py (transformers GPTNeoForCausalLM on a tiny random
// model): the model's folder, its batches and the gradients they hold.
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SafetensorsReader } from '@ftune/safetensors';
import type { GPTNeoBatch, GPTNeoModel } from '../model';

/** The fixtures' folder: golden.safetensors and the tiny model in tiny/. */
export const GOLDEN_DIR = path.join(__dirname, '..', '..', 'fixtures', 'gpt-neo');

export function openGolden(): SafetensorsReader {
  return SafetensorsReader.open(path.join(GOLDEN_DIR, 'golden.safetensors'));
}

/** The parameters whose gradients the fixtures hold. */
export function goldenGradNames(golden: SafetensorsReader): string[] {
  return golden
    .names()
    .filter((n) => n.startsWith('right.grad.'))
    .map((n) => n.slice('right.grad.'.length));
}

/** The 'right'- or 'left'-padded batch. */
export function goldenBatch(golden: SafetensorsReader, side: string): GPTNeoBatch {
  const [B, T] = golden.info(`${side}.input_ids`).shape;
  return {
    batchSize: B,
    seqLen: T,
    inputIds: golden.readInt32(`${side}.input_ids`),
    attentionMask: golden.readInt32(`${side}.attention_mask`),
    labels: golden.readInt32(`${side}.labels`),
    positionIds: golden.names().includes(`${side}.position_ids`) ? golden.readInt32(`${side}.position_ids`) : undefined,
  };
}

/** Gradients of the mean loss over `batch` for `names`, laid out as transformers holds them ([out, in] linears). */
export function goldenLayoutGrads(model: GPTNeoModel, batch: GPTNeoBatch, names: readonly string[]): Float32Array[] {
  return tf.tidy(() => {
    const { grads } = tf.variableGrads(() => {
      const t = model.lossTerms(batch);
      return tf.div(t.lossSum, t.tokens) as tf.Scalar;
    }, names.map((n) => model.param(n)));
    // Linear weights are held [in, out]; HF's gradients are [out, in].
    return names.map((n) => (n.endsWith('proj.weight') || n.endsWith('c_fc.weight') ? tf.transpose(grads[n]) : grads[n]).dataSync() as Float32Array);
  });
}
