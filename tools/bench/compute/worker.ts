// One contender of the compute benchmark, in its own process: loads a backend through @ftune/compute, then
// times either a float32 matmul or the GPT-Neo training step, and prints one JSON line. Results are read
// outside tf.tidy (reading inside a tidy is very slow on the native backend).
import * as tf from '@tensorflow/tfjs-core';
import { type Candidate, loadBackend } from '@ftune/compute';
import { createModel, gptNeoConfig, type GPTNeoBatch, IGNORE_INDEX } from '@ftune/model-gpt-neo';
import { ADAMW_DEFAULTS, AdamW } from '@ftune/trainer';

function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i > 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timeMatmul(n: number, reps: number): Promise<{ seconds: number; gflops: number }> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const times: number[] = [];
  for (let i = 0; i <= reps; i++) {
    const start = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    if (i > 0) times.push((performance.now() - start) / 1000);
  }
  tf.dispose([a, b]);
  const seconds = median(times);
  return { seconds, gflops: (2 * n ** 3) / seconds / 1e9 };
}

/** Seeded random token ids; labels on every position ('all') or on each row's last position only ('last'). */
export function randomBatch(batchSize: number, seqLen: number, vocab: number, labels: 'all' | 'last' = 'all'): GPTNeoBatch {
  const ids = new Int32Array(batchSize * seqLen);
  let s = 12345;
  for (let i = 0; i < ids.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    ids[i] = s % vocab;
  }
  const lab = labels === 'last' ? ids.map((id, i) => (i % seqLen === seqLen - 1 ? id : IGNORE_INDEX)) : ids;
  return { batchSize, seqLen, inputIds: ids, attentionMask: new Int32Array(ids.length).fill(1), labels: lab };
}

async function timeTraining(argv: string[]) {
  const size = option(argv, 'size', 'small');
  const batchSize = Number(option(argv, 'batch', '8'));
  const seqLen = Number(option(argv, 'seq', '128'));
  const warmup = Number(option(argv, 'warmup', '1'));
  const steps = Number(option(argv, 'steps', '3'));
  const config = gptNeoConfig(size);
  const model = createModel(config, 0);
  const optimizer = new AdamW(model.trainableVariables, ADAMW_DEFAULTS);
  const batch = randomBatch(batchSize, seqLen, config.vocabSize);
  const times: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < warmup + steps; step++) {
    const start = performance.now();
    const kept: { tokens?: tf.Scalar } = {};
    const { value, grads } = tf.variableGrads(() => {
      const t = model.lossTerms(batch, { training: true });
      kept.tokens = tf.keep(t.tokens);
      return t.lossSum;
    }, model.trainableVariables);
    const tokens = kept.tokens as tf.Scalar;
    const norm = optimizer.clipAndApply(new Map(Object.entries(grads)), tokens, 1, 1e-4); // as the trainer's update
    const loss = tf.div(value, tokens);
    losses.push((await loss.data())[0]);
    tf.dispose([...Object.values(grads), norm, loss, value, tokens]);
    const seconds = (performance.now() - start) / 1000;
    if (step >= warmup) times.push(seconds);
    process.stderr.write(`step ${step + 1}/${warmup + steps}: ${seconds.toFixed(2)} s, loss ${losses[losses.length - 1].toFixed(4)}\n`);
  }
  const parameters = model.trainableVariables.reduce((n, v) => n + v.size, 0);
  model.dispose();
  const stepS = median(times);
  return {
    size,
    parameters,
    tokens: batchSize * seqLen,
    step_s: stepS,
    tokens_per_s: (batchSize * seqLen) / stepS,
    loss_first: losses[0],
    loss_last: losses[losses.length - 1],
  };
}

export async function runWorker(mode: string, argv: string[]): Promise<void> {
  const candidate = option(argv, 'backend', 'wasm') as Candidate;
  const info = await loadBackend(candidate);
  const base = { backend: info.backend, threads: info.threads, version: info.version };
  if (mode === 'matmul') {
    const n = Number(option(argv, 'n', '1024'));
    const reps = info.backend === 'cpu' ? 2 : 5;
    process.stdout.write(`${JSON.stringify({ ...base, n, ...(await timeMatmul(n, reps)) })}\n`);
  } else if (mode === 'train') {
    process.stdout.write(`${JSON.stringify({ ...base, ...(await timeTraining(argv)) })}\n`);
  } else {
    throw new Error(`unknown worker mode ${mode}`);
  }
}
