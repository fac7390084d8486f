// Compute benchmark: GPT-Neo training tokens/s on each TensorFlow.js backend asked for (native tensorflow
// by default; wasm, pure-JS cpu) beside PyTorch eager on CPU running the same model and step, plus the
// matmul GFLOP/s of each against numpy -- all in one run on this machine, printed as tables with ratios and
// each contender's model FLOPs utilisation (MFU: model FLOPs/s ÷ the best matmul measured here). Each
// contender runs in its own process, one after the other; with --repeat N (default 3) each shape's contenders run
// N rounds, in alternating order, and the tables give each contender's median over the rounds and the median of
// the rounds' ftune ÷ PyTorch ratios (each from two processes run back to back), so that a machine whose speed
// drifts between processes moves both sides of a ratio alike.
// The step, for both: forward, next-token cross-entropy on every position, backward, global-norm clipping
// at 1.0, one AdamW update (lr 1e-4), on seeded random token ids. Shapes: each size (small: C 256, 4 layers;
// gpt-neo-125m) at each batch (default 1 and 8) × seq (default 256); cpu runs one step of the first small shape.
// PyTorch comes from the golden venv (tools/golden/setup-venv.sh: torch and transformers pinned from PyPI,
// outside the repository); without it the PyTorch rows are left out.
// Usage: npx tsx tools/bench/compute/bench.ts [--sizes small,gpt-neo-125m] [--batches 1,8] [--seq 256]
//          [--backends tensorflow,wasm,cpu] [--steps 3] [--python ~/.cache/ftune/golden-venv/bin/python]
//          [--threads N] [--matmul 1024] [--repeat 3]
// Workers: bench.ts --worker train|matmul --backend NAME ... (prints one JSON line).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { gptNeoConfig } from '@ftune/model-gpt-neo';
import { runWorker } from './worker';

const opt = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

interface Result {
  backend: string;
  threads: number;
  version?: string;
  step_s?: number;
  tokens_per_s?: number;
  gflops?: number;
  n?: number;
  loss_first?: number;
  loss_last?: number;
  error?: string;
}

type Size = 'small' | 'gpt-neo-125m';

function lastJson(stdout: string): Result | undefined {
  const line = stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  return line ? (JSON.parse(line) as Result) : undefined;
}

function runProcess(label: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Result {
  process.stderr.write(`  running ${label} ...`);
  const started = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 16 << 20 });
  process.stderr.write(` ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  const result = r.status === 0 ? lastJson(r.stdout) : undefined;
  if (result) {
    process.stderr.write(`    ${JSON.stringify(result)}\n`); // partial runs still tell
    return result;
  }
  const errLines = `${r.stderr}`.trim().split('\n').filter(Boolean);
  const why = errLines.filter((l) => /Error|Aborted|abort/.test(l)).pop() ?? errLines.pop() ?? `exit ${r.status}`;
  return { backend: label, threads: 0, error: why };
}

function main(): void {
  const worker = opt('worker', '');
  if (worker) {
    runWorker(worker, process.argv).catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  const sizes = opt('sizes', 'small,gpt-neo-125m').split(',') as Size[];
  const backends = opt('backends', 'tensorflow').split(',');
  const batches = opt('batches', '1,8').split(',').map(Number);
  const seq = Number(opt('seq', '256'));
  const steps = Number(opt('steps', '3'));
  const repeat = Number(opt('repeat', '3'));
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number >= 1, got ${opt('repeat', '3')}`);
  const threads = Number(opt('threads', String(availableParallelism())));
  const python = opt('python', join(homedir(), '.cache', 'ftune', 'golden-venv', 'bin', 'python'));
  const reference = join(__dirname, 'reference.py');
  const self = [...process.execArgv, __filename];
  const hasPython = existsSync(python);

  process.stderr.write(`compute benchmark: ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}\n`);
  const lines: string[] = [];
  const fmt = (x: number | undefined, digits = 1) => (x === undefined ? '-' : x.toFixed(digits));

  // ------------------------------------------------------------ matmul
  const n = Number(opt('matmul', '1024'));
  const mm: Result[] = [];
  if (hasPython) mm.push(runProcess('numpy', python, [reference, 'matmul', '--n', String(n), '--threads', String(threads)]));
  for (const b of backends) {
    const size = b === 'cpu' ? Math.min(n, 512) : n;
    mm.push(runProcess(`${b} matmul`, process.execPath, [...self, '--worker', 'matmul', '--backend', b, '--n', String(size)]));
  }
  const numpy = mm.find((r) => r.backend === 'numpy')?.gflops;
  lines.push('', `matmul (float32, n×n·n×n, median)`, row(['contender', 'threads', 'n', 'GFLOP/s', '× numpy']));
  for (const r of mm) {
    const ratio = numpy && r.gflops ? fmt(r.gflops / numpy, 3) : '-';
    lines.push(row([r.backend, String(r.threads), String(r.n ?? '-'), r.error ? `error: ${r.error}` : fmt(r.gflops), ratio]));
  }

  // ------------------------------------------------------------ training (pure-JS cpu last: it is the slowest)
  const peak = Math.max(0, ...mm.map((r) => r.gflops ?? 0)); // the best matmul measured here, GFLOP/s
  const tasks: Array<{ shape: string; label: string; cmd: string; args: string[] }> = [];
  const shapes: Array<{ key: string; size: Size; batch: number; seq: number }> = [];
  for (const size of sizes) {
    for (const batch of batches) shapes.push({ key: `${size} ${batch}×${seq}`, size, batch, seq });
  }
  for (const { key, size, batch } of shapes) {
    const shape = ['--size', size, '--batch', String(batch), '--seq', String(seq)];
    if (hasPython) {
      const ref = [reference, 'train', ...shape, '--warmup', '1', '--steps', String(steps)];
      tasks.push({ shape: key, label: `pytorch ${key}`, cmd: python, args: [...ref, '--threads', String(threads)] });
    }
    for (const b of backends) {
      if (b === 'cpu' && (size !== 'small' || batch !== batches[0])) continue;
      // pure-JS cpu takes minutes per step: one step, no warm-up
      const counts = b === 'cpu' ? ['--warmup', '0', '--steps', '1'] : ['--warmup', '1', '--steps', String(steps)];
      tasks.push({ shape: key, label: `${b} ${key}`, cmd: process.execPath, args: [...self, '--worker', 'train', '--backend', b, ...shape, ...counts] });
    }
  }
  tasks.sort((a, b) => Number(a.label.startsWith('cpu ')) - Number(b.label.startsWith('cpu ')));
  // rounds: every shape's contenders back to back, in alternating order; pure-JS cpu once
  const runs = new Map<string, Result[]>(tasks.map((t) => [t.label, []]));
  const ratios = new Map<string, number[]>(shapes.map((s) => [s.key, []]));
  for (const { key } of shapes) {
    const group = tasks.filter((t) => t.shape === key && !t.label.startsWith('cpu '));
    for (let round = 0; round < repeat; round++) {
      const order = round % 2 === 0 ? group : [...group].reverse();
      const got = new Map(order.map((t) => [t.label, runProcess(`${t.label} (round ${round + 1}/${repeat})`, t.cmd, t.args)]));
      for (const [label, r] of got) runs.get(label)?.push(r);
      const torch = [...got.values()].find((r) => r.backend === 'pytorch')?.tokens_per_s;
      const native = [...got.values()].find((r) => r.backend === 'tensorflow')?.tokens_per_s;
      if (torch && native) ratios.get(key)?.push(native / torch);
    }
  }
  for (const t of tasks.filter((t) => t.label.startsWith('cpu '))) runs.get(t.label)?.push(runProcess(t.label, t.cmd, t.args));
  const byShape = new Map<string, Result[]>(shapes.map((s) => [s.key, []]));
  for (const t of tasks) byShape.get(t.shape)?.push(medianRun(runs.get(t.label) ?? []));

  const summary = [row(['shape', 'pytorch tok/s', 'ftune tok/s', 'ftune ÷ pytorch', 'pytorch MFU', 'ftune MFU'], SUMMARY_WIDTHS)];
  for (const { key, size, batch } of shapes) {
    const results = byShape.get(key) ?? [];
    const flops = trainingFlopsPerToken(size, seq);
    const torch = results.find((r) => r.backend === 'pytorch')?.tokens_per_s;
    const native = results.find((r) => r.backend === 'tensorflow')?.tokens_per_s;
    const cpu = results.find((r) => r.backend === 'cpu')?.tokens_per_s;
    const mfu = (tps: number | undefined) => (tps && peak ? `${fmt((100 * tps * flops) / (peak * 1e9), 1)}%` : '-');
    const pairs = ratios.get(key) ?? [];
    const ratio = pairs.length > 0 ? `${fmt(median(pairs), 2)}× (${pairs.map((x) => fmt(x, 2)).join(', ')})` : '-';
    summary.push(row([key, fmt(torch), fmt(native), ratio, mfu(torch), mfu(native)], SUMMARY_WIDTHS));
    lines.push('', `training step, ${size} (batch ${batch} × seq ${seq}; forward, backward, clip, AdamW; ${fmt(flops / 1e9, 3)} GFLOP/token)`);
    lines.push(row(['contender', 'threads', 's/step', 'tokens/s', 'x pytorch', 'MFU', 'x tfjs cpu', 'loss first→last']));
    for (const r of results) {
      if (r.error) {
        lines.push(row([r.backend, '-', '-', `error: ${r.error}`]));
        continue;
      }
      const tps = r.tokens_per_s;
      lines.push(
        row([
          r.backend,
          String(r.threads),
          fmt(r.step_s, 2),
          fmt(tps),
          torch && tps ? fmt(tps / torch, 2) : '-',
          mfu(tps),
          cpu && tps ? fmt(tps / cpu, 1) : '-',
          `${fmt(r.loss_first, 3)}→${fmt(r.loss_last, 3)}`,
        ]),
      );
    }
  }
  lines.push(
    '',
    `summary: ftune = native tensorflow backend; tokens/s = median over ${repeat} round(s); ftune ÷ pytorch = median of the rounds' ratios (each round's in brackets); MFU = model FLOPs/s ÷ the matmul peak measured above (${fmt(peak)} GFLOP/s)`,
    ...summary,
  );
  lines.push('', `targets: ftune ≥ 1.0× pytorch at every shape; wasm ≥ 0.25× pytorch (load average ${loadavg().map((l) => l.toFixed(1)).join(', ')})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

const SUMMARY_WIDTHS = [24, 14, 12, 30, 12, 10];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The run of median speed among a contender's rounds (an error only when every round failed). */
function medianRun(results: Result[]): Result {
  const ok = results.filter((r) => r.tokens_per_s !== undefined).sort((a, b) => (a.tokens_per_s ?? 0) - (b.tokens_per_s ?? 0));
  if (ok.length === 0) return results[results.length - 1] ?? { backend: '-', threads: 0, error: 'not run' };
  const tps = median(ok.map((r) => r.tokens_per_s ?? 0));
  const nearest = ok.reduce((best, r) => (Math.abs((r.tokens_per_s ?? 0) - tps) < Math.abs((best.tokens_per_s ?? 0) - tps) ? r : best));
  return { ...nearest, tokens_per_s: tps, step_s: (nearest.tokens_per_s ?? tps) / tps * (nearest.step_s ?? 0) };
}

/**
 * Model FLOPs of one training token (forward and backward, 3 × the forward's 2 per multiply-add): every
 * matrix product's weight -- q, k, v, out, the MLP's two and the tied head -- plus attention's scores and
 * context over `seq` keys. Embedding lookups, norms and elementwise work are not counted, as in the usual
 * 6N + 12·L·T·C estimate.
 */
function trainingFlopsPerToken(size: Size, seq: number): number {
  const c = gptNeoConfig(size);
  const C = c.hiddenSize;
  const matmulWeights = c.numLayers * (4 * C * C + 2 * C * c.intermediateSize) + c.vocabSize * C;
  return 6 * matmulWeights + 12 * c.numLayers * seq * C;
}

function row(cells: string[], widths = [22, 8, 8, 10, 10, 8, 11, 16]): string {
  return cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ').trimEnd();
}

main();
