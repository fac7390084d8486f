// ftune's full fine-tuning and LoRA steps beside PyTorch + peft's on the same GPT-Neo shape, one fresh process per
// contender and mode so that each peak resident memory (getrusage maxrss) is its own: forward, backward and one
// AdamW update of what is trained.
//   full        every parameter trained (gradients and AdamW moments for all)
//   lora        adapters r 8, alpha 16 on q_proj and v_proj (peft's default for GPT-Neo), the base frozen
//   lora+ckpt   the same with gradient checkpointing (each block recomputed in the backward pass)
// Median step time of the timed steps after one warm-up step, then the forward pass alone (no gradients) to split
// the step, and the resident memory once the runtime is up and once the model is built, to split the peak. The model is the preset's random init (seed 0), or with
// --folder the Hugging Face folder there, loaded by both contenders (ftune through its tensor-by-tensor loader); a
// folder that does not exist yet is first written from the preset's random init in 1 GB shards, by a process of its
// own that never holds the model (tools/bench/gpt-neo/random-folder.ts). PyTorch runs
// tools/bench/gpt-neo/peft_reference.py from the golden venv (tools/golden/setup-venv.sh; --python elsewhere,
// --no-reference to skip it).
// Usage: npx tsx tools/bench/gpt-neo/lora.ts [preset=gpt-neo-125m] [batch=1] [seq=256] [steps=3]
//          [--modes full,lora,lora+ckpt] [--folder DIR] [--python PATH] [--no-reference]
//   e.g. the 1.3B shape: npx tsx tools/bench/gpt-neo/lora.ts gpt-neo-1.3b 1 256 2 --modes lora+ckpt --folder /tmp/gpt-neo-1.3b-random
// (FTUNE_BACKEND picks ftune's backend, as everywhere.)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend } from '@ftune/compute';
import { createModel, type GPTNeoModel, loadModel } from '@ftune/model-gpt-neo';
import { ADAMW_DEFAULTS, AdamW } from '@ftune/trainer';
import { writeRandomFolder } from './random-folder';
import { BENCH_LORA, medianForwardMs, medianStepMs } from './timed-steps';

const MODES = ['full', 'lora', 'lora+ckpt'] as const;
type Mode = (typeof MODES)[number];
const ROOT = path.join(__dirname, '..', '..', '..');

interface Result {
  mode: string;
  backend: string;
  stepMs: number;
  /** The forward pass and loss alone, no gradients. */
  forwardMs: number;
  peakMiB: number;
  /** Resident memory once the runtime is up, and once the model is built or loaded. */
  runtimeMiB: number;
  modelMiB: number;
  trainable: number;
  total: number;
}

const rssMiB = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

async function measure(mode: Mode, source: string, B: number, T: number, steps: number): Promise<void> {
  const { info } = await initBackend();
  const runtimeMiB = rssMiB();
  const model: GPTNeoModel = fs.existsSync(source) ? loadModel(source) : createModel(source, 0);
  const modelMiB = rssMiB();
  if (mode !== 'full') model.attachLora(BENCH_LORA, 0);
  model.gradientCheckpointing = mode === 'lora+ckpt';
  const optimizer = new AdamW(model.trainableVariables, ADAMW_DEFAULTS);
  const stepMs = medianStepMs(model, B, T, steps, {
    variables: model.trainableVariables,
    update: (grads) => optimizer.apply(new Map(Object.entries(grads)), 1e-4),
  });
  const peakMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const forwardMs = medianForwardMs(model, B, T, steps);
  const { trainable, total } = model.parameterCount();
  const result: Result = { mode, backend: `ftune ${info.backend}`, stepMs: Math.round(stepMs), forwardMs: Math.round(forwardMs), peakMiB, runtimeMiB, modelMiB, trainable, total };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  optimizer.dispose();
  model.dispose();
}

/** Runs one contender's process for one mode; its last stdout line is the result. */
function run(cmd: string, args: string[]): Result {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 2).join(' ')} failed (exit ${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as Result;
}

function referencePython(explicit: string | undefined): string {
  if (explicit) return explicit;
  const r = spawnSync(path.join(ROOT, 'tools', 'golden', 'setup-venv.sh'), [], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error('tools/golden/setup-venv.sh failed; give --python or --no-reference');
  return path.join(r.stdout.trim().split('\n').pop() as string, 'bin', 'python');
}

function main(): void {
  const argv = process.argv.slice(2);
  if ((MODES as readonly string[]).includes(argv[0])) {
    const [mode, source, b, t, n] = argv;
    measure(mode as Mode, source, Number(b), Number(t), Number(n)).catch((e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  if (argv[0] === 'write-folder') {
    writeRandomFolder(argv[1], argv[2]);
    return;
  }
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--') && argv[i - 1] !== '--no-reference'));
  const [preset = 'gpt-neo-125m', b = '1', t = '256', n = '3'] = positional;
  const modes = (flag('modes') ?? MODES.join(',')).split(',');
  for (const m of modes) if (!(MODES as readonly string[]).includes(m)) throw new Error(`--modes: unknown mode "${m}" (known: ${MODES.join(', ')})`);
  const folder = flag('folder');
  if (folder && !fs.existsSync(path.join(folder, 'config.json'))) {
    const t0 = Date.now();
    const w = spawnSync(process.execPath, [...process.execArgv, __filename, 'write-folder', preset, folder], { stdio: 'inherit' });
    if (w.status !== 0) throw new Error(`writing ${folder} failed (exit ${w.status})`);
    console.log(`wrote ${preset} (random init, seed 0) to ${folder} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const python = argv.includes('--no-reference') ? null : referencePython(flag('python'));
  const source = folder ? path.resolve(folder) : preset;
  const threads = os.cpus().length;
  console.log(`${folder ? `${preset} folder ${source}` : preset}, batch ${b} × ${t} tokens, ${n} timed steps; ${new Date().toISOString()}, ${threads} CPUs, load ${os.loadavg()[0].toFixed(1)}, free ${(os.freemem() / 2 ** 30).toFixed(1)} GiB`);
  console.log('mode        contender              step (ms)   forward (ms)   peak RSS (MiB)   RSS runtime / with model (MiB)   trainable / total parameters');
  const rows: Array<{ mode: string; ftune: Result; ref?: Result }> = [];
  const line = (r: Result) =>
    console.log(
      `${r.mode.padEnd(12)}${r.backend.padEnd(21)}${String(r.stepMs).padStart(11)}${String(r.forwardMs).padStart(15)}${String(r.peakMiB).padStart(17)}` +
        `${`${r.runtimeMiB} / ${r.modelMiB}`.padStart(29)}   ${r.trainable.toLocaleString('en-US')} / ${r.total.toLocaleString('en-US')}`,
    );
  for (const mode of modes) {
    const ftune = run(process.execPath, [...process.execArgv, __filename, mode, source, b, t, n]);
    line(ftune);
    let ref: Result | undefined;
    if (python) {
      const where = folder ? ['--folder', source] : ['--size', preset];
      ref = run(python, [path.join(__dirname, 'peft_reference.py'), mode, ...where, '--batch', b, '--seq', t, '--steps', n, '--threads', String(threads)]);
      line(ref);
    }
    rows.push({ mode, ftune, ref });
  }
  if (python) {
    console.log('ftune ÷ PyTorch + peft (targets: memory ≤ 1.3, time ≤ 1.0)');
    for (const { mode, ftune, ref } of rows) {
      if (!ref) continue;
      console.log(`${mode.padEnd(12)}time ${(ftune.stepMs / ref.stepMs).toFixed(2)}   memory ${(ftune.peakMiB / ref.peakMiB).toFixed(2)}`);
    }
  }
  console.log(`load after: ${os.loadavg()[0].toFixed(1)}`);
}

main();
