// Tokenizer benchmark: whole-process throughput of `ftune tokenize` against the same JSONL through
// gpt-tokenizer and js-tiktoken, side by side in one run. Each command runs `--runs` times on a seeded
// mixed English + code corpus written to a temporary folder; the best wall time counts (least noise).
// Also checks the three agree id for id (the corpus has no special tokens, where they differ by design).
// Usage: npx tsx tools/bench/tokenizer/bench.ts [--mb 6] [--runs 3] [--seed 1] [--workers N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCorpus } from './corpus';

const ROOT = join(__dirname, '..', '..', '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const mb = arg('mb', 6);
const runs = arg('runs', 3);
const seed = arg('seed', 1);
const workers = arg('workers', Math.min(4, cpus().length));

const dir = mkdtempSync(join(tmpdir(), 'ftune-bench-tokenizer-'));
const input = join(dir, 'corpus.jsonl');
writeFileSync(input, generateCorpus(seed, mb * 1024 * 1024));
const inputBytes = readFileSync(input).length;

interface Contender {
  name: string;
  argv: string[];
}
const node = process.execPath;
const contenders: Contender[] = [
  { name: 'ftune tokenize', argv: [join(ROOT, 'apps/cli/bin/ftune.js'), 'tokenize'] },
  {
    name: `ftune tokenize --workers ${workers}`,
    argv: [join(ROOT, 'apps/cli/bin/ftune.js'), 'tokenize', '--workers', String(workers)],
  },
  { name: 'gpt-tokenizer 4.0.0', argv: [join(__dirname, 'reference.js'), 'gpt-tokenizer'] },
  { name: 'js-tiktoken 1.0.21', argv: [join(__dirname, 'reference.js'), 'js-tiktoken'] },
];

function runOnce(c: Contender, out: string): number {
  const stdin = openSync(input, 'r');
  const stdout = openSync(out, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(node, c.argv, { stdio: [stdin, stdout, 'inherit'], cwd: ROOT });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(stdin);
  closeSync(stdout);
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}`);
  return seconds;
}

const best = new Map<string, number>();
const outputs = new Map<string, string>();
for (let run = 0; run < runs; run++) {
  // interleaved, so that a slow moment of the machine does not fall on one contender only
  for (const c of contenders) {
    const out = join(dir, `${c.name.replace(/\W+/g, '_')}.jsonl`);
    const s = runOnce(c, out);
    best.set(c.name, Math.min(best.get(c.name) ?? Infinity, s));
    outputs.set(c.name, out);
  }
}

const reference = readFileSync(outputs.get('ftune tokenize') as string, 'utf8');
const agree = contenders.map(
  (c) =>
    `${c.name}: ${readFileSync(outputs.get(c.name) as string, 'utf8') === reference ? 'same ids' : 'DIFFERENT ids'}`,
);
const gptTokenizer = best.get('gpt-tokenizer 4.0.0') as number;
console.log(
  `corpus: ${(inputBytes / 1e6).toFixed(2)} MB JSONL (seed ${seed}), ${cpus().length} CPUs, node ${process.version}, best of ${runs}`,
);
console.log('contender                         seconds     MB/s   vs gpt-tokenizer');
for (const c of contenders) {
  const s = best.get(c.name) as number;
  console.log(
    `${c.name.padEnd(32)} ${s.toFixed(3).padStart(8)} ${(inputBytes / 1e6 / s).toFixed(2).padStart(8)} ${(gptTokenizer / s).toFixed(2).padStart(10)}×`,
  );
}
console.log(agree.join('; '));
rmSync(dir, { recursive: true, force: true });
