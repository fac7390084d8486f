// Tokenizer benchmark: whole-process throughput of `ftune tokenize` against the same JSONL through
// gpt-tokenizer and js-tiktoken, side by side in one run, on a seeded mixed English + code corpus
// written to a temporary folder. Each command runs `--runs` times, interleaved; the best wall time and
// the best CPU time (user + system, via /usr/bin/time where present: steadier on a shared machine) count.
// Also checks that all agree id for id, prints what every ftune process spends before reading input
// (`ftune --version`), and the libraries' speed inside one warm process (no process start-up).
// Usage: npx tsx tools/bench/tokenizer/bench.ts [--mb 6] [--runs 3] [--seed 1] [--workers N]
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '@ftune/tokenizer';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/cjs/encoding/gpt2';
import { getEncoding } from 'js-tiktoken';
import { generateCorpus } from './corpus';

const ROOT = join(__dirname, '..', '..', '..');
const FTUNE = join(ROOT, 'apps/cli/bin/ftune.js');
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
const inputMB = readFileSync(input).length / 1e6;

interface Contender {
  name: string;
  argv: string[];
}
const startup: Contender = { name: 'ftune --version (start-up)', argv: [FTUNE, '--version'] };
const contenders: Contender[] = [
  { name: 'ftune tokenize', argv: [FTUNE, 'tokenize'] },
  { name: `ftune tokenize --workers ${workers}`, argv: [FTUNE, 'tokenize', '--workers', String(workers)] },
  { name: 'gpt-tokenizer 4.0.0', argv: [join(__dirname, 'reference.js'), 'gpt-tokenizer'] },
  { name: 'js-tiktoken 1.0.21', argv: [join(__dirname, 'reference.js'), 'js-tiktoken'] },
];
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** One run: [wall seconds, CPU seconds or NaN]. */
function runOnce(c: Contender, out: string): [number, number] {
  const stdin = openSync(input, 'r');
  const stdout = openSync(out, 'w');
  const cpuFile = join(dir, 'cpu.txt');
  const [cmd, args] = timeBin
    ? [timeBin, ['-f', '%U %S', '-o', cpuFile, process.execPath, ...c.argv]]
    : [process.execPath, c.argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: [stdin, stdout, 'inherit'], cwd: ROOT });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(stdin);
  closeSync(stdout);
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}`);
  const cpu = timeBin ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).map(Number) : [NaN, NaN];
  return [wall, cpu[0] + cpu[1]];
}

const best = new Map<string, [number, number]>();
const keep = (name: string, [wall, cpu]: [number, number]) => {
  const [w, c] = best.get(name) ?? [Infinity, Infinity];
  best.set(name, [Math.min(w, wall), Math.min(c, cpu)]);
};
const outputs = new Map<string, string>();
for (let run = 0; run < runs; run++) {
  // interleaved, so that a slow moment of the machine does not fall on one contender only
  keep(startup.name, runOnce(startup, join(dir, 'version.txt')));
  for (const c of contenders) {
    const out = join(dir, `${c.name.replace(/\W+/g, '_')}.jsonl`);
    keep(c.name, runOnce(c, out));
    outputs.set(c.name, out);
  }
}

const reference = readFileSync(outputs.get('ftune tokenize') as string, 'utf8');
const agree = contenders.map((c) => {
  const same = readFileSync(outputs.get(c.name) as string, 'utf8') === reference;
  return `${c.name}: ${same ? 'same ids' : 'DIFFERENT ids'}`;
});
const [refWall, refCpu] = best.get('gpt-tokenizer 4.0.0') as [number, number];
console.log(
  `corpus: ${inputMB.toFixed(2)} MB JSONL (seed ${seed}), ${cpus().length} CPUs, node ${process.version}, best of ${runs}`,
);
console.log('whole process                      wall s    MB/s  vs gpt-tokenizer |  CPU s  vs gpt-tokenizer');
for (const c of [...contenders, startup]) {
  const [wall, cpu] = best.get(c.name) as [number, number];
  const mbs = c === startup ? '' : (inputMB / wall).toFixed(2);
  const vs = c === startup ? '' : `${(refWall / wall).toFixed(2)}×`;
  const vsCpu = c === startup ? '' : `${(refCpu / cpu).toFixed(2)}×`;
  console.log(
    `${c.name.padEnd(32)} ${wall.toFixed(3).padStart(8)} ${mbs.padStart(7)} ${vs.padStart(9)}        | ${cpu.toFixed(2).padStart(6)} ${vsCpu.padStart(8)}`,
  );
}
console.log(agree.join('; '));
const [, startupCpu] = best.get(startup.name) as [number, number];
const [, ftuneCpu] = best.get('ftune tokenize') as [number, number];
console.log(
  `ftune tokenize less the CLI start-up: ${(ftuneCpu - startupCpu).toFixed(2)} CPU s, ` +
    `${(refCpu / (ftuneCpu - startupCpu)).toFixed(2)}× gpt-tokenizer's whole process`,
);

// In one process, warm: the tokenizers alone (best of `runs` passes over the same texts).
const texts = readFileSync(input, 'utf8')
  .trim()
  .split('\n')
  .map((l) => (JSON.parse(l) as { text: string }).text);
const tiktoken = getEncoding('gpt2');
const gpt2 = loadTokenizer('gpt2');
const libraries: Array<[string, (t: string) => number[]]> = [
  ['@ftune/tokenizer encodeIds', (t) => gpt2.encodeIds(t)],
  ['gpt-tokenizer encode', (t) => gptTokenizerEncode(t)],
  ['js-tiktoken encode', (t) => tiktoken.encode(t)],
];
const textMB = texts.reduce((n, t) => n + Buffer.byteLength(t), 0) / 1e6;
const inProcess = libraries.map(([name, encode]) => {
  let seconds = Infinity;
  for (let run = 0; run < runs; run++) {
    const t0 = process.hrtime.bigint();
    for (const t of texts) encode(t);
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return [name, seconds] as const;
});
console.log(`in one process, warm (text only, ${textMB.toFixed(2)} MB):`);
for (const [name, seconds] of inProcess) {
  const ratio = inProcess[1][1] / seconds;
  console.log(
    `  ${name.padEnd(30)} ${seconds.toFixed(3).padStart(8)} s ${(textMB / seconds).toFixed(2).padStart(8)} MB/s ${ratio.toFixed(2).padStart(6)}×`,
  );
}
rmSync(dir, { recursive: true, force: true });
