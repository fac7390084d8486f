// Trainer benchmark: the time of one optimizer update -- division by the token count, global-norm clipping,
// then AdamW over the decay and no-decay groups, fused on the host (ftune's CPU path) and as tensor ops (its
// GPU path) -- on parameters shaped like a GPT-Neo preset with random gradients, on the TensorFlow.js
// backend this machine chooses, beside PyTorch doing the same step as the Hugging Face Trainer (default and
// fused AdamW) in the same run. The forward/backward pass is the compute benchmark's subject, not this one's.
// Usage: npx tsx tools/bench/trainer/bench.ts [--sizes small,gpt-neo-125m] [--steps 5] [--threads 2]
//          [--python ~/.cache/ftune/golden-venv/bin/python]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describeChoice, initBackend } from '@ftune/compute';
import { gptNeoConfig, internalShape, parameterSpecs } from '@ftune/model-gpt-neo';
import { AdamW } from '@ftune/trainer';

const opt = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

/** Median ms of one update (divide by tokens, clip at 1.0, AdamW) with the moments on the host or as tensors. */
async function ftuneStep(size: string, steps: number, onHost: boolean): Promise<{ parameters: number; ms: number; cpuMs: number }> {
  const specs = parameterSpecs(gptNeoConfig(size));
  const variables = specs.map((s) =>
    tf.variable(tf.randomNormal(internalShape(s), 0, 0.02, 'float32', 1), true, `bench.${s.name}`),
  );
  const grads = new Map(variables.map((v) => [v.name, tf.randomNormal(v.shape, 0, 1, 'float32', 2)]));
  const tokens = tf.scalar(256);
  const adamw = new AdamW(variables, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, onHost });
  const times: number[] = [];
  const cpuTimes: number[] = []; // CPU time of the process, all threads: less sensitive to other load than wall time
  for (let i = 0; i <= steps; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const norm = adamw.clipAndApply(grads, tokens, 1, 1e-4);
    await variables[variables.length - 1].data(); // wait for the device
    const used = process.cpuUsage(cpu);
    if (i > 0) times.push(performance.now() - t); // the first step allocates the moments
    if (i > 0) cpuTimes.push((used.user + used.system) / 1000);
    norm.dispose();
  }
  const parameters = variables.reduce((s, v) => s + v.size, 0);
  adamw.dispose();
  grads.forEach((g) => g.dispose());
  tokens.dispose();
  variables.forEach((v) => v.dispose());
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { parameters, ms: median(times), cpuMs: median(cpuTimes) };
}

async function main(): Promise<void> {
  const sizes = opt('sizes', 'small,gpt-neo-125m').split(',');
  const steps = Number(opt('steps', '5'));
  const threads = opt('threads', '2');
  const python = opt('python', join(homedir(), '.cache/ftune/golden-venv/bin/python'));
  const choice = await initBackend();
  console.log(describeChoice(choice)[0]);
  console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(', ')}`);
  console.log('size          parameters  ftune ms/step (CPU ms)  tensor-ops ms (CPU ms)  torch AdamW ms  torch fused ms  ftune / torch');
  for (const size of sizes) {
    const ours = await ftuneStep(size, steps, true);
    const device = await ftuneStep(size, steps, false);
    let ref: { torch_adamw_ms?: number; torch_adamw_fused_ms?: number } = {};
    if (existsSync(python)) {
      const r = spawnSync(
        python,
        [join(__dirname, 'reference.py'), '--size', size, '--steps', String(steps), '--threads', threads],
        { encoding: 'utf8' },
      );
      const line = r.stdout.trim().split('\n').pop() ?? '';
      if (line.startsWith('{')) ref = JSON.parse(line) as typeof ref;
      else console.error(`reference failed: ${r.stderr.split('\n').slice(-3).join(' ')}`);
    }
    const f = (x?: number): string => (x === undefined ? 'n/a' : x.toFixed(1));
    const ratio = ref.torch_adamw_ms ? (ours.ms / ref.torch_adamw_ms).toFixed(2) : 'n/a';
    console.log(
      `${size.padEnd(13)} ${String(ours.parameters).padStart(10)}  ${`${f(ours.ms)} (${f(ours.cpuMs)})`.padStart(22)}  ${`${f(device.ms)} (${f(device.cpuMs)})`.padStart(22)}  ${f(ref.torch_adamw_ms).padStart(14)}  ${f(ref.torch_adamw_fused_ms).padStart(14)}  ${ratio.padStart(13)}`,
    );
  }
}

void main();
