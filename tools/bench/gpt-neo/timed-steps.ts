// The timing loop the GPT-Neo step benchmarks share: one warm-up step, then `steps` timed ones of forward,
// loss and gradients (of `variables`, default all) on a fixed batch of B × T token ids, with `update`
// applied to the gradients inside each timed step; answers the median step time in ms. medianForwardMs times the
// forward pass alone, to tell the forward's share of a step from the backward's and the update's.
import * as tf from '@tensorflow/tfjs-core';
import type { GPTNeoModel, LoraConfig } from '@ftune/model-gpt-neo';

/** The adapters the step benchmarks train: r 8, alpha 16 on q_proj and v_proj (peft's default targets for GPT-Neo). */
export const BENCH_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'] };

function fixedBatch(model: GPTNeoModel, B: number, T: number) {
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % model.config.vocabSize);
  return { batchSize: B, seqLen: T, inputIds: ids, attentionMask: new Int32Array(B * T).fill(1), labels: ids };
}

function median(times: number[]): number {
  times.sort((x, y) => x - y);
  return times[Math.floor(times.length / 2)];
}

export function medianStepMs(
  model: GPTNeoModel,
  B: number,
  T: number,
  steps: number,
  options: { variables?: tf.Variable[]; update?: (grads: tf.NamedTensorMap) => void } = {},
): number {
  const batch = fixedBatch(model, B, T);
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const terms = model.lossTerms(batch, { training: true });
      return tf.div(terms.lossSum, terms.tokens) as tf.Scalar;
    }, options.variables);
    options.update?.(grads);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (i > 0) times.push(performance.now() - t0); // step 0 warms up
  }
  return median(times);
}

/** The forward pass and loss alone (no gradients) on the same batch: the median of `steps` runs, in ms. */
export function medianForwardMs(model: GPTNeoModel, B: number, T: number, steps: number): number {
  const batch = fixedBatch(model, B, T);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    tf.tidy(() => model.lossTerms(batch).lossSum.dataSync());
    times.push(performance.now() - t0);
  }
  return median(times);
}
