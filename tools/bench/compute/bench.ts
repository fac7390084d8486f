// Compute benchmark: GPT-Neo training tokens/s on each TensorFlow.js backend this machine has (native
// tensorflow, wasm, pure-JS cpu) beside PyTorch on CPU running the same model and step, plus matmul GFLOP/s
// against numpy -- all in one run, printed as a table with ratios. Each contender runs in its own process.
// The step: forward, next-token cross-entropy, backward, one AdamW update (lr 1e-4), on random token ids.
// Sizes: small (C 256, 4 layers, B 8 × T 128) and gpt-neo-125m (B 1 × T 256); cpu runs one step of the small size.
// Usage: npx tsx tools/bench/compute/bench.ts [--sizes small,gpt-neo-125m] [--backends tensorflow,wasm,cpu]
//          [--steps 3] [--python ~/.cache/ftune/golden-venv/bin/python] [--threads N]
// Workers: bench.ts --worker train|matmul --backend NAME ... (prints one JSON line).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
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

const SIZES = { small: { batch: 8, seq: 128 }, 'gpt-neo-125m': { batch: 1, seq: 256 } } as const;
type Size = keyof typeof SIZES;

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
  const backends = opt('backends', 'tensorflow,wasm,cpu').split(',');
  const torchOneThread = opt('torch-one-thread', 'small').split(','); // sizes that also get a 1-thread PyTorch row
  const steps = Number(opt('steps', '3'));
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
  const tasks: Array<{ size: Size; label: string; cmd: string; args: string[] }> = [];
  for (const size of sizes) {
    const { batch, seq } = SIZES[size];
    const shape = ['--size', size, '--batch', String(batch), '--seq', String(seq)];
    if (hasPython) {
      const ref = [reference, 'train', ...shape, '--warmup', '1', '--steps', String(steps)];
      tasks.push({ size, label: `pytorch ${size}`, cmd: python, args: [...ref, '--threads', String(threads)] });
      if (threads > 1 && torchOneThread.includes(size)) {
        tasks.push({ size, label: `pytorch ${size} 1 thread`, cmd: python, args: [...ref, '--threads', '1'] });
      }
    }
    for (const b of backends) {
      if (b === 'cpu' && size !== 'small') continue;
      // pure-JS cpu takes minutes per step: one step, no warm-up
      const counts = b === 'cpu' ? ['--warmup', '0', '--steps', '1'] : ['--warmup', '1', '--steps', String(steps)];
      tasks.push({ size, label: `${b} ${size}`, cmd: process.execPath, args: [...self, '--worker', 'train', '--backend', b, ...shape, ...counts] });
    }
  }
  tasks.sort((a, b) => Number(a.label.startsWith('cpu ')) - Number(b.label.startsWith('cpu ')));
  const bySize = new Map<Size, Result[]>(sizes.map((size) => [size, []]));
  for (const t of tasks) bySize.get(t.size)?.push(runProcess(t.label, t.cmd, t.args));

  for (const size of sizes) {
    const { batch, seq } = SIZES[size];
    const results = bySize.get(size) ?? [];
    const torch = results.find((r) => r.backend === 'pytorch' && r.threads === threads)?.tokens_per_s;
    const cpu = results.find((r) => r.backend === 'cpu')?.tokens_per_s;
    lines.push('', `training step, ${size} (batch ${batch} × seq ${seq}; forward, backward, AdamW)`);
    lines.push(row(['contender', 'threads', 's/step', 'tokens/s', `× pytorch(${threads})`, '× tfjs cpu', 'loss first→last']));
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
          cpu && tps ? fmt(tps / cpu, 1) : '-',
          `${fmt(r.loss_first, 3)}→${fmt(r.loss_last, 3)}`,
        ]),
      );
    }
  }
  lines.push('', `targets: tensorflow ≥ 0.7× pytorch, wasm ≥ 0.25× pytorch, both ≥ 20× tfjs cpu (load average ${loadavg()[0].toFixed(1)})`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function row(cells: string[]): string {
  const widths = [22, 8, 8, 10, 14, 11, 16];
  return cells.map((c, i) => c.padEnd(widths[i] ?? 10)).join(' ').trimEnd();
}

main();
