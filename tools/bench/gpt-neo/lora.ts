// A full fine-tuning step against LoRA steps on the same GPT-Neo shape, one fresh process per mode so that each
// peak resident memory (getrusage maxrss) is its own: forward, backward and one AdamW update of what is trained.
//   full        every parameter trained (gradients and AdamW moments for all)
//   lora        adapters r 8, alpha 16 on q_proj and v_proj (peft's default for GPT-Neo), the base frozen
//   lora+ckpt   the same with gradient checkpointing (each block recomputed in the backward pass)
// Median step time of the timed steps after one warm-up step. Random init from the preset (seed 0).
// Usage: npx tsx tools/bench/gpt-neo/lora.ts [preset=gpt-neo-125m] [batch=1] [seq=256] [steps=3]
// (FTUNE_BACKEND picks the backend, as everywhere.)
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { initBackend } from '@ftune/compute';
import { createModel } from '@ftune/model-gpt-neo';
import { ADAMW_DEFAULTS, AdamW } from '@ftune/trainer';
import { medianStepMs } from './timed-steps';

const MODES = ['full', 'lora', 'lora+ckpt'] as const;
type Mode = (typeof MODES)[number];

async function measure(mode: Mode, preset: string, B: number, T: number, steps: number): Promise<void> {
  const { info } = await initBackend();
  const model = createModel(preset, 0);
  if (mode !== 'full') model.attachLora({ r: 8, alpha: 16, dropout: 0, targets: ['q_proj', 'v_proj'] }, 0);
  model.gradientCheckpointing = mode === 'lora+ckpt';
  const optimizer = new AdamW(model.trainableVariables, ADAMW_DEFAULTS);
  const stepMs = medianStepMs(model, B, T, steps, {
    variables: model.trainableVariables,
    update: (grads) => optimizer.apply(new Map(Object.entries(grads)), 1e-4),
  });
  const { trainable, total } = model.parameterCount();
  const result = {
    mode,
    backend: info.backend,
    stepMs: Math.round(stepMs),
    peakMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    trainable,
    total,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  optimizer.dispose();
  model.dispose();
}

function main(): void {
  const [first, ...rest] = process.argv.slice(2);
  if ((MODES as readonly string[]).includes(first)) {
    const [preset, b, t, n] = rest;
    measure(first as Mode, preset, Number(b), Number(t), Number(n)).catch((e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  const [preset = 'gpt-neo-125m', b = '1', t = '256', n = '3'] = process.argv.slice(2);
  console.log(`${preset}, batch ${b} × ${t} tokens, ${n} timed steps; ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
  console.log('mode        backend      step (ms)   peak RSS (MiB)   trainable / total parameters');
  for (const mode of MODES) {
    const r = spawnSync(process.execPath, [...process.execArgv, __filename, mode, preset, b, t, n], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error(`mode ${mode} failed (exit ${r.status})`);
    const m = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { mode: string; backend: string; stepMs: number; peakMiB: number; trainable: number; total: number };
    console.log(`${m.mode.padEnd(12)}${m.backend.padEnd(13)}${String(m.stepMs).padStart(9)}${String(m.peakMiB).padStart(17)}   ${m.trainable.toLocaleString('en-US')} / ${m.total.toLocaleString('en-US')}`);
  }
  console.log(`load after: ${os.loadavg()[0].toFixed(1)}`);
}

main();
