// Training-step speed of the GPT-Neo model on the chosen backend (FTUNE_BACKEND as everywhere): forward,
// loss terms and gradients of all parameters for one batch, median of a few steps, in tokens per second.
// Usage: npx tsx tools/bench/gpt-neo/step.ts [preset=small] [batch=8] [seq=128] [steps=3]
// (The side-by-side comparison with PyTorch is the compute benchmark, tools/bench/compute.)
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@ftune/compute';
import { createModel } from '@ftune/model-gpt-neo';

async function main(): Promise<void> {
  const [preset = 'small', b = '8', t = '128', n = '3'] = process.argv.slice(2);
  const [B, T, steps] = [Number(b), Number(t), Number(n)];
  const { info } = await initBackend();
  const model = createModel(preset, 0);
  const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7919) % model.config.vocabSize);
  const batch = { batchSize: B, seqLen: T, inputIds: ids, attentionMask: new Int32Array(B * T).fill(1), labels: ids };
  const times: number[] = [];
  for (let i = 0; i <= steps; i++) {
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(() => {
      const terms = model.lossTerms(batch, { training: true });
      return tf.div(terms.lossSum, terms.tokens) as tf.Scalar;
    });
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    if (i > 0) times.push(performance.now() - t0); // step 0 warms up
  }
  times.sort((x, y) => x - y);
  const ms = times[Math.floor(times.length / 2)];
  console.log(JSON.stringify({ backend: info.backend, preset, batch: B, seq: T, stepMs: Math.round(ms), tokensPerSecond: Math.round((B * T * 1000) / ms) }));
  model.dispose();
}

void main();
