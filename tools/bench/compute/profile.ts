// Profile of one GPT-Neo training step on a TensorFlow.js backend, by phase and by op: the step the trainer
// takes (forward + loss, backward, the update -- division by the trainable tokens, global-norm clipping at 1.0,
// AdamW -- and disposal),
// each phase's wall time (median over --steps steps after one warm-up), then one step under tf.profile with
// every kernel's time summed by op and shape. Prints Markdown: commit it as a benchmark output.
// Usage: npx tsx tools/bench/compute/profile.ts [--size gpt-neo-125m] [--batch 1] [--seq 256] [--steps 3]
//          [--labels all|last] [--backend tensorflow] [--top 25] [--lora] [--checkpointing]
// --labels last gives each row one label (its last position), as completion-only training does. --lora trains
// adapters r 8, alpha 16 on q_proj and v_proj with the base frozen (tools/bench/gpt-neo/lora.ts's lora mode);
// --checkpointing recomputes each block in the backward pass.
import { execSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { type Candidate, loadBackend } from '@ftune/compute';
import { createModel, gptNeoConfig } from '@ftune/model-gpt-neo';
import { ADAMW_DEFAULTS, AdamW } from '@ftune/trainer';
import { BENCH_LORA } from '../gpt-neo/timed-steps';
import { median, randomBatch } from './worker';

const opt = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

const PHASES = ['forward + loss', 'backward', 'update: divide by tokens, clip, AdamW', 'dispose'] as const;
type Phase = (typeof PHASES)[number];

interface Kernel {
  name: string;
  kernelTimeMs: number | { error: string } | Promise<number | { error: string }>;
  outputShapes: number[][];
}

async function main(): Promise<void> {
  const size = opt('size', 'gpt-neo-125m');
  const batchSize = Number(opt('batch', '1'));
  const seqLen = Number(opt('seq', '256'));
  const steps = Number(opt('steps', '3'));
  const labels = opt('labels', 'all') === 'last' ? 'last' : 'all';
  const top = Number(opt('top', '25'));
  const info = await loadBackend(opt('backend', 'tensorflow') as Candidate);
  const config = gptNeoConfig(size);
  const model = createModel(config, 0);
  const lora = process.argv.includes('--lora');
  if (lora) model.attachLora(BENCH_LORA, 0);
  model.gradientCheckpointing = process.argv.includes('--checkpointing');
  const variables = model.trainableVariables;
  const optimizer = new AdamW(variables, { ...ADAMW_DEFAULTS, weightDecay: 0.01 });
  const batch = randomBatch(batchSize, seqLen, config.vocabSize, labels);
  const loadStart = loadavg()[0];

  // One step as the trainer takes it; `mark` is called at each phase boundary.
  let forwardKernels = 0;
  const step = (mark: (p: Phase) => void): void => {
    const kept: { tokens?: tf.Scalar } = {};
    const { value, grads } = tf.variableGrads(() => {
      const t = model.lossTerms(batch, { training: true });
      kept.tokens = tf.keep(t.tokens);
      const profile = (tf.engine().state as unknown as { activeProfile?: { kernels: unknown[] } }).activeProfile;
      forwardKernels = profile?.kernels.length ?? 0;
      mark('forward + loss');
      return t.lossSum;
    }, variables);
    mark('backward');
    const tokens = kept.tokens as tf.Scalar;
    const norm = optimizer.clipAndApply(new Map(Object.entries(grads)), tokens, 1, 1e-4);
    mark('update: divide by tokens, clip, AdamW');
    tf.dispose([...Object.values(grads), norm, value, tokens]);
    mark('dispose');
  };

  const wall = new Map<Phase, number[]>(PHASES.map((p) => [p, []]));
  const totals: number[] = [];
  for (let i = 0; i <= steps; i++) {
    let last = performance.now();
    const start = last;
    step((p) => {
      const now = performance.now();
      if (i > 0) wall.get(p)?.push(now - last);
      last = now;
    });
    if (i > 0) totals.push(performance.now() - start);
    process.stderr.write(`step ${i}${i === 0 ? ' (warm-up)' : ''}: ${((performance.now() - start) / 1000).toFixed(2)} s\n`);
  }

  const marks: Array<[Phase, number]> = [];
  const profile = await tf.profile(() => {
    step((p) => marks.push([p, (tf.engine().state as unknown as { activeProfile: { kernels: unknown[] } }).activeProfile.kernels.length]));
  });
  const kernels = profile.kernels as unknown as Kernel[];
  const ms = await Promise.all(kernels.map(async (k) => {
    const t = await k.kernelTimeMs;
    return typeof t === 'number' ? t : 0;
  }));
  const phaseOf = (index: number): Phase => (marks.find(([, end]) => index < end) ?? marks[marks.length - 1])[0];
  const byPhase = new Map<Phase, { ms: number; n: number }>();
  const byOp = new Map<string, { phase: Phase; name: string; shape: string; ms: number; n: number }>();
  // customGrad records its whole forward function as one entry named 'forward' around the kernels inside it
  const isScope = (k: Kernel) => k.name === 'forward';
  kernels.forEach((k, i) => {
    if (isScope(k)) return;
    const phase = i < forwardKernels ? 'forward + loss' : phaseOf(i);
    const p = byPhase.get(phase) ?? { ms: 0, n: 0 };
    p.ms += ms[i];
    p.n += 1;
    byPhase.set(phase, p);
    const shape = k.outputShapes.map((s) => `[${s.join('×')}]`).join(' ');
    const key = `${phase}|${k.name}|${shape}`;
    const o = byOp.get(key) ?? { phase, name: k.name, shape, ms: 0, n: 0 };
    o.ms += ms[i];
    o.n += 1;
    byOp.set(key, o);
  });

  const stepMs = median(totals);
  const kernelMs = ms.reduce((a, b, i) => a + (isScope(kernels[i]) ? 0 : b), 0);
  const cpu = cpus()[0]?.model ?? 'unknown';
  const uptime = execSync('uptime').toString().trim();
  const out: string[] = [];
  const mode = `${lora ? ', LoRA r 8 on q_proj and v_proj' : ''}${model.gradientCheckpointing ? ', gradient checkpointing' : ''}`;
  out.push(`# Training-step profile: ${size}, batch ${batchSize} × ${seqLen}, labels ${labels}${mode}, ${info.backend} ${info.version}`);
  out.push('');
  out.push(`- command: \`npx tsx tools/bench/compute/profile.ts ${process.argv.slice(2).join(' ')}\``);
  out.push(`- date: ${new Date().toISOString()}`);
  out.push(`- machine: ${availableParallelism()} cores (nproc), ${cpu}`);
  out.push(`- load: ${loadStart.toFixed(2)} at start; at end \`${uptime}\``);
  out.push(`- trained parameters: ${variables.reduce((n, v) => n + v.size, 0).toLocaleString('en')}, ${variables.length} tensors`);
  // the native fused step runs outside TensorFlow.js kernels: its time shows in the phase's wall time only
  out.push(`- AdamW: ${optimizer.path}${optimizer.path === 'native' ? ' (fused step in ftune\'s native ops; no kernels)' : ''}`);
  out.push(`- step: ${(stepMs / 1000).toFixed(2)} s median of ${steps} (${totals.map((t) => (t / 1000).toFixed(2)).join(', ')}), ${((batchSize * seqLen) / (stepMs / 1000)).toFixed(1)} tokens/s`);
  out.push(`- profiled step: ${kernels.filter((k) => !isScope(k)).length} kernels, ${(kernelMs / 1000).toFixed(2)} s inside kernels`);
  out.push('');
  out.push('## By phase');
  out.push('');
  out.push('| phase | wall ms (median) | share | kernel ms (profiled step) | kernels |');
  out.push('| --- | ---: | ---: | ---: | ---: |');
  for (const p of PHASES) {
    const w = median(wall.get(p) ?? [0]);
    const k = byPhase.get(p) ?? { ms: 0, n: 0 };
    out.push(`| ${p} | ${w.toFixed(0)} | ${((100 * w) / stepMs).toFixed(1)}% | ${k.ms.toFixed(0)} | ${k.n} |`);
  }
  out.push('');
  out.push(`## Top ${top} ops by kernel time (op and output shape, summed within a phase)`);
  out.push('');
  out.push('| phase | op | output shape | calls | ms | share of kernel time |');
  out.push('| --- | --- | --- | ---: | ---: | ---: |');
  const ops = [...byOp.values()].sort((a, b) => b.ms - a.ms);
  for (const o of ops.slice(0, top)) {
    out.push(`| ${o.phase} | ${o.name} | ${o.shape} | ${o.n} | ${o.ms.toFixed(1)} | ${((100 * o.ms) / kernelMs).toFixed(1)}% |`);
  }
  out.push('');
  out.push('## By op name (all phases)');
  out.push('');
  out.push('| op | calls | ms | share |');
  out.push('| --- | ---: | ---: | ---: |');
  const byName = new Map<string, { ms: number; n: number }>();
  for (const o of ops) {
    const e = byName.get(o.name) ?? { ms: 0, n: 0 };
    e.ms += o.ms;
    e.n += o.n;
    byName.set(o.name, e);
  }
  for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
    out.push(`| ${name} | ${e.n} | ${e.ms.toFixed(1)} | ${((100 * e.ms) / kernelMs).toFixed(1)}% |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  optimizer.dispose();
  model.dispose();
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
