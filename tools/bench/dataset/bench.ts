// Ingestion benchmark: `ftune ingest` (the real CLI, GPT-2 token statistics as by default) on a seeded
// JSONL file of --mb megabytes, beside `cat` and `wc -l` of the same file as the I/O ceiling, in one
// run. Reports wall-clock MB/s, MB per CPU-second (robust when other work shares the machine) and
// peak resident memory (from /usr/bin/time), against the targets: ≥ 50 MB/s and ≤ 256 MiB. A second
// row runs the library alone (tools/bench/dataset/ingest-only.ts), without the CLI's other commands.
// Usage: npx tsx tools/bench/dataset/bench.ts [--mb 1024] [--seed 1] [--keep]
// The generated file is cached in the temp folder by size and seed; --keep keeps the output folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataset } from './generate';

const ROOT = join(__dirname, '..', '..', '..');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const mb = arg('mb', 1024);
const seed = arg('seed', 1);
const keep = process.argv.includes('--keep');

const TARGET_MBPS = 50;
const TARGET_RSS_MIB = 256;

interface Measured {
  wall: number;
  cpu: number;
  rssMiB: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv under /usr/bin/time; wall, user+sys seconds and peak RSS. */
function measure(argv: string[]): Measured {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', ...argv], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`no timing from ${argv.join(' ')}: ${r.stderr}`);
  return {
    wall: Number(m[1]),
    cpu: Number(m[2]) + Number(m[3]),
    rssMiB: Number(m[4]) / 1024,
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr.replace(/TIME .*\n?/, ''),
  };
}

const cacheDir = join(tmpdir(), 'ftune-bench-dataset');
spawnSync('mkdir', ['-p', cacheDir]);
const input = join(cacheDir, `reviews-${mb}mb-seed${seed}.jsonl`);
if (!existsSync(input)) {
  process.stderr.write(`generating ${mb} MB of JSONL (seed ${seed}) into ${input} …\n`);
  generateDataset(input + '.part', mb * 1e6, seed);
  spawnSync('mv', [input + '.part', input]);
}
const bytes = statSync(input).size;
const out = mkdtempSync(join(tmpdir(), 'ftune-bench-dataset-out-'));

const load = loadavg()[0];
const cat = measure(['sh', '-c', `cat "${input}" > /dev/null`]);
const wc = measure(['wc', '-l', input]);
const ingest = measure([
  process.execPath,
  join(ROOT, 'apps', 'cli', 'bin', 'ftune.js'),
  'ingest',
  input,
  '--out',
  out,
]);
if (ingest.status !== 0) throw new Error(`ftune ingest failed (${ingest.status}): ${ingest.stderr}`);
const library = measure([
  process.execPath,
  join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
  join(__dirname, 'ingest-only.ts'),
  input,
  join(out, 'library'),
]);
if (library.status !== 0) throw new Error(`library ingest failed (${library.status}): ${library.stderr}`);
const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as {
  records: { total: number; accepted: number; rejected: number; duplicates: number };
  tokens: { counted: number; records: number; median: number; p95: number; max: number };
};
// nothing lost: the generator writes one record per line, so input lines = lines of the four outputs
const lineCount = (file: string) =>
  Number(/^\s*(\d+)/.exec(spawnSync('wc', ['-l', file], { encoding: 'utf8' }).stdout)?.[1]);
const outLines = ['train', 'validation', 'test', 'rejected'].map((s) => lineCount(join(out, `${s}.jsonl`)));
const inLines = lineCount(input);
const outTotal = outLines.reduce((a, b) => a + b, 0);
if (!keep) rmSync(out, { recursive: true, force: true });

const MB = bytes / 1e6;
const row = (name: string, m: Measured, note = '') =>
  `${name.padEnd(16)} ${(MB / m.wall).toFixed(1).padStart(8)} MB/s ${(MB / Math.max(m.cpu, 0.01)).toFixed(1).padStart(9)} MB/cpu-s ${m.rssMiB.toFixed(0).padStart(6)} MiB peak RSS ${note}`;
const lines = [
  `dataset ingest bench: ${MB.toFixed(0)} MB, ${manifest.records.total.toLocaleString('en-US')} records, seed ${seed}, load average ${load.toFixed(1)} at start`,
  row('cat > /dev/null', cat, '(I/O ceiling)'),
  row('wc -l', wc, '(reference)'),
  row('ftune ingest', ingest, `(target ≥ ${TARGET_MBPS} MB/s, ≤ ${TARGET_RSS_MIB} MiB)`),
  row('ingestFile only', library, '(the library without the CLI: its own footprint)'),
  `  accepted ${manifest.records.accepted}, rejected ${manifest.records.rejected} (duplicates ${manifest.records.duplicates}); ` +
    `tokens median ${manifest.tokens.median}, p95 ${manifest.tokens.p95}, max ${manifest.tokens.max} over ${manifest.tokens.counted} of ${manifest.tokens.records} records`,
  `  accounted: ${inLines} input records = ${outLines.join(' + ')} (train + validation + test + rejected)${inLines === outTotal ? '' : ' — MISMATCH'}`,
  `  speed ${MB / ingest.wall >= TARGET_MBPS ? 'meets' : 'misses'} the target wall-clock (${(MB / ingest.cpu).toFixed(1)} MB per CPU-second); memory ${ingest.rssMiB <= TARGET_RSS_MIB ? 'within' : 'over'} ${TARGET_RSS_MIB} MiB`,
];
process.stdout.write(lines.join('\n') + '\n');
