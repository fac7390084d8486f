// The bundled example, full fine-tune against LoRA variants: each variant is examples/sentiment/run.yaml with
// one change (training.lora, the learning rate, the model's seed, or a base model folder), run with `ftune run`
// as a child process, one after the other, into a temporary folder. The audit is off and evaluation keeps 1
// sample and 10 resamples (neither changes test accuracy or loss). Prints one line per variant: test
// accuracy, test loss on the label token, trainable and total parameters, wall seconds and the load average before and after.
// `--pretrain` first trains the tiny model as a plain language model on label-free review texts
// (examples/sentiment/generate.mjs with another seed, the prompts only) and adds variants from that base.
// Usage: npx tsx tools/bench/sentiment-lora/sweep.ts [--only NAME,...] [--pretrain] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const EXAMPLE = join(ROOT, 'examples', 'sentiment');
const BIN = join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
const ALL = '[q_proj, k_proj, v_proj, out_proj, c_fc, c_proj]';

interface Variant {
  name: string;
  lora?: string;
  learningRate?: number;
  modelSeed?: number;
  /** A base model folder instead of the tiny preset. */
  base?: string;
}

const VARIANTS: Variant[] = [
  { name: 'full' },
  { name: 'lora-r8-a16', lora: `{r: 8, alpha: 16, targets: ${ALL}}` },
  { name: 'lora-r16-a16', lora: `{r: 16, alpha: 16, targets: ${ALL}}` },
  { name: 'lora-r16-a32', lora: `{r: 16, alpha: 32, targets: ${ALL}}` },
  { name: 'lora-r32-a16', lora: `{r: 32, alpha: 16, targets: ${ALL}}` },
  { name: 'lora-r32-a32', lora: `{r: 32, alpha: 32, targets: ${ALL}}` },
  { name: 'lora-r32-a64', lora: `{r: 32, alpha: 64, targets: ${ALL}}` },
  { name: 'lora-r8-a64', lora: `{r: 8, alpha: 64, targets: ${ALL}}` },
  { name: 'lora-r8-a16-bias', lora: `{r: 8, alpha: 16, targets: ${ALL}, bias: all}` },
  { name: 'lora-r8-a32-bias', lora: `{r: 8, alpha: 32, targets: ${ALL}, bias: all}` },
  { name: 'lora-r8-a16-lr0.005', lora: `{r: 8, alpha: 16, targets: ${ALL}}`, learningRate: 0.005 },
  { name: 'lora-r8-a8-lr0.02', lora: `{r: 8, alpha: 8, targets: ${ALL}}`, learningRate: 0.02 },
  { name: 'full-seed1', modelSeed: 1 },
  { name: 'lora-r32-a32-seed1', lora: `{r: 32, alpha: 32, targets: ${ALL}}`, modelSeed: 1 },
];

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

/** run.yaml with the variant's change, the audit off and the evaluation cut to what accuracy needs. */
function variantConfig(v: Variant, dir: string, data = join(EXAMPLE, 'reviews.jsonl')): string {
  let text = fs.readFileSync(join(EXAMPLE, 'run.yaml'), 'utf8');
  const swap = (from: RegExp, to: string): void => {
    if (!from.test(text)) throw new Error(`run.yaml no longer has ${from}`);
    text = text.replace(from, to);
  };
  swap(/^name: .*$/m, `name: ${v.name}\nrunId: ${v.name}`);
  swap(/^runsDir: .*$/m, `runsDir: ${dir}`);
  swap(/^ {2}path: .*$/m, `  path: ${data}`);
  swap(/^ {2}samples: \d+$/m, '  samples: 1');
  swap(/^ {2}bootstrap: \d+$/m, '  bootstrap: 10');
  swap(/^audit:$/m, 'audit:\n  enabled: false');
  if (v.learningRate !== undefined) swap(/^ {2}learningRate: .*$/m, `  learningRate: ${v.learningRate}`);
  if (v.modelSeed !== undefined) swap(/^ {2}seed: 0$/m, `  seed: ${v.modelSeed}`);
  if (v.base) swap(/^ {2}preset: tiny\n {2}seed: 0$/m, `  path: ${v.base}`);
  if (v.lora) swap(/^ {2}saveTotalLimit: 1$/m, `  saveTotalLimit: 1\n  lora: ${v.lora}`);
  const file = join(dir, `${v.name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

interface Outcome {
  accuracy?: number;
  loss?: number;
  trainable?: number;
  total?: number;
}

function runVariant(file: string, runDir: string): string {
  const wall = Date.now();
  const before = loadavg()[0];
  const r = spawnSync(process.execPath, [BIN, 'run', file], { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) return `failed (${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`;
  const ev = JSON.parse(fs.readFileSync(join(runDir, 'evaluate', 'eval.json'), 'utf8')) as Outcome;
  const tr = JSON.parse(fs.readFileSync(join(runDir, 'train', 'result.json'), 'utf8')) as {
    parameters: Outcome;
  };
  return [
    `accuracy ${ev.accuracy !== undefined ? (100 * ev.accuracy).toFixed(1) + '%' : '—'}`,
    `test loss ${ev.loss?.toFixed(3) ?? '—'}`,
    `trainable ${tr.parameters.trainable?.toLocaleString('en-US')} of ${tr.parameters.total?.toLocaleString('en-US')}`,
    `${((Date.now() - wall) / 1000).toFixed(0)} s wall, load ${before.toFixed(1)} → ${loadavg()[0].toFixed(1)}`,
  ].join(' · ');
}

function main(): void {
  const dir = fs.mkdtempSync(join(tmpdir(), 'ftune-sentiment-lora-'));
  const only = arg('only')?.split(',');
  const variants = VARIANTS.filter((v) => !only || only.includes(v.name));
  console.log(`${new Date().toISOString()} · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}) · load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  try {
    if (flag('pretrain')) {
      // label-free texts: other reviews from the same generator, prompts only
      const reviews = execFileSync(process.execPath, [join(EXAMPLE, 'generate.mjs'), '3000', '11'], { encoding: 'utf8' });
      const texts = join(dir, 'texts.jsonl');
      fs.writeFileSync(
        texts,
        reviews
          .trim()
          .split('\n')
          .map((l) => JSON.stringify({ text: (JSON.parse(l) as { prompt: string }).prompt }))
          .join('\n') + '\n',
      );
      const pre: Variant = { name: 'pretrain' };
      console.log(`pretrain (plain LM on ${texts}): ${runVariant(variantConfig(pre, dir, texts), join(dir, 'runs', 'pretrain'))}`);
      const base = join(dir, 'runs', 'pretrain', 'train', 'model');
      variants.push(
        { name: 'pretrained-full', base },
        { name: 'pretrained-lora-r8-a16', base, lora: `{r: 8, alpha: 16, targets: ${ALL}}` },
        { name: 'pretrained-lora-r8-a16-qv', base, lora: '{r: 8, alpha: 16, targets: [q_proj, v_proj]}' },
        { name: 'pretrained-lora-r32-a32', base, lora: `{r: 32, alpha: 32, targets: ${ALL}}` },
      );
    }
    for (const v of variants) {
      console.log(`${v.name}: ${runVariant(variantConfig(v, dir), join(dir, 'runs', v.name))}`);
    }
  } finally {
    if (flag('keep')) console.log(`runs kept in ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
