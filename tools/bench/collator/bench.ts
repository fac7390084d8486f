// Collator throughput: examples/s collating a 100k-example pre-tokenized dataset with the seed's
// settings (completion-only, pad = eos, multiple of 8, batches of 8), beside the Python reference
// (trl 0.19.1 DataCollatorForCompletionOnlyLM, reference.py in this folder) on the same examples in
// the same run. Both sides also report trained-token counts and a label checksum, which must agree.
//
// Usage: npx tsx tools/bench/collator/bench.ts [--examples 100000] [--python-examples N] [--batch-size 8]
// The Python side runs in ${FTUNE_GOLDEN_VENV:-~/.cache/ftune/golden-venv} (tools/golden/setup-venv.sh).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  completionOnlyConfig,
  fromConfig,
  IGNORE_INDEX,
  lengthGroupedBatches,
  paddingCost,
  sequentialBatches,
  type Example,
} from '@ftune/collator';

const TEMPLATE = [21017, 23998, 25]; // "### Answer:"
const EOS = 50256;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** Deterministic synthetic examples: prompt, "### Answer:", answer, EOS on half; 2% lack the template. */
function dataset(count: number): Int32Array[] {
  let state = 12345;
  const rand = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const tokens = (n: number) => Array.from({ length: n }, () => rand(50000));
  const examples: Int32Array[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = tokens(10 + rand(190));
    const answer = tokens(5 + rand(95));
    const template = rand(50) === 0 ? [] : TEMPLATE;
    const eos = rand(2) === 0 ? [EOS] : [];
    examples.push(Int32Array.from([...prompt, ...template, ...answer, ...eos]));
  }
  return examples;
}

function writeDataset(dir: string, examples: Int32Array[]): void {
  const offsets = new Int32Array(examples.length + 1);
  examples.forEach((e, i) => (offsets[i + 1] = offsets[i] + e.length));
  const ids = new Int32Array(offsets[examples.length]);
  examples.forEach((e, i) => ids.set(e, offsets[i]));
  writeFileSync(join(dir, 'ids.i32'), Buffer.from(ids.buffer));
  writeFileSync(join(dir, 'offsets.i32'), Buffer.from(offsets.buffer));
  writeFileSync(join(dir, 'template.json'), JSON.stringify(TEMPLATE));
}

interface Figures {
  examples: number;
  seconds: number;
  examplesPerSecond: number;
  trained: number;
  checksum: number;
}

function runTs(examples: Example[], batchSize: number, rounds: number): Figures {
  const collator = fromConfig(completionOnlyConfig({ responseTemplate: TEMPLATE }));
  let best = Infinity;
  let trained = 0;
  let checksum = 0;
  for (let round = 0; round < rounds; round++) {
    trained = 0;
    checksum = 0;
    const start = process.hrtime.bigint();
    for (let b = 0; b < examples.length; b += batchSize) {
      const { labels } = collator.collate(examples.slice(b, b + batchSize)).batch;
      for (let i = 0; i < labels.length; i++) {
        if (labels[i] !== IGNORE_INDEX) {
          trained++;
          checksum = (checksum + labels[i]) % 1000000007;
        }
      }
    }
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return {
    examples: examples.length,
    seconds: best,
    examplesPerSecond: examples.length / best,
    trained,
    checksum,
  };
}

function runPython(dir: string, batchSize: number, limit: number): Figures {
  const venv = process.env.FTUNE_GOLDEN_VENV ?? join(homedir(), '.cache', 'ftune', 'golden-venv');
  const r = spawnSync(
    join(venv, 'bin', 'python'),
    [join(__dirname, 'reference.py'), dir, String(batchSize), String(limit)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`reference.py failed: ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Figures;
}

function main(): void {
  const count = arg('examples', 100_000);
  const pythonCount = arg('python-examples', count);
  const batchSize = arg('batch-size', 8);
  const data = dataset(count);
  const dir = mkdtempSync(join(tmpdir(), 'ftune-bench-collator-'));
  try {
    writeDataset(dir, data);
    const examples: Example[] = data.map((inputIds) => ({ inputIds }));
    const ts = runTs(examples, batchSize, 3);
    const tsSame = pythonCount === count ? ts : runTs(examples.slice(0, pythonCount), batchSize, 3);
    const py = runPython(dir, batchSize, pythonCount);
    const lengths = data.map((e) => e.length);
    const seq = paddingCost(lengths, sequentialBatches(count, batchSize));
    const grouped = paddingCost(lengths, lengthGroupedBatches(lengths, { batchSize, seed: 0 }));
    console.log(
      `collator benchmark: ${count} pre-tokenized examples (${data.reduce((n, e) => n + e.length, 0)} tokens), batches of ${batchSize}, seed settings`,
    );
    console.log(
      `  ftune (TypeScript)      ${fmt(ts.examplesPerSecond)} examples/s  (${ts.seconds.toFixed(3)} s for ${ts.examples}, best of 3)`,
    );
    console.log(
      `  trl 0.19.1 (Python)     ${fmt(py.examplesPerSecond)} examples/s  (${py.seconds.toFixed(3)} s for ${py.examples})`,
    );
    console.log(
      `  ratio                   ${(ts.examplesPerSecond / py.examplesPerSecond).toFixed(1)}x  (target >= 10x)`,
    );
    const agree = tsSame.trained === py.trained && tsSame.checksum === py.checksum;
    console.log(
      `  same labels             ${agree ? 'yes' : 'NO'} (trained tokens ${tsSame.trained} vs ${py.trained}, checksum ${tsSame.checksum} vs ${py.checksum})`,
    );
    console.log(`  padding, data order     ${pct(1 - seq.real / seq.padded)} of the padded batch`);
    console.log(`  padding, length-grouped ${pct(1 - grouped.real / grouped.padded)} of the padded batch`);
    if (!agree) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);
const pct = (f: number) => `${(100 * f).toFixed(1)}%`;

main();
