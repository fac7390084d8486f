// Training-step speed of the GPT-Neo model on the chosen backend (FTUNE_BACKEND as everywhere): forward,
// loss terms and gradients of all parameters for one batch, median of a few steps, in tokens per second.
// Usage: npx tsx tools/bench/gpt-neo/step.ts [preset=small] [batch=8] [seq=128] [steps=3]
// (The side-by-side comparison with PyTorch is the compute benchmark, tools/bench/compute.)
import { initBackend } from '@ftune/compute';
import { createModel } from '@ftune/model-gpt-neo';
import { medianStepMs } from './timed-steps';

async function main(): Promise<void> {
  const [preset = 'small', b = '8', t = '128', n = '3'] = process.argv.slice(2);
  const [B, T, steps] = [Number(b), Number(t), Number(n)];
  const { info } = await initBackend();
  const model = createModel(preset, 0);
  const ms = medianStepMs(model, B, T, steps);
  console.log(JSON.stringify({ backend: info.backend, preset, batch: B, seq: T, stepMs: Math.round(ms), tokensPerSecond: Math.round((B * T * 1000) / ms) }));
  model.dispose();
}

void main();
