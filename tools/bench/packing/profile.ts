// Where a training step's time goes, padded against packed, on the packing benchmark's data
// (tools/bench/packing/bench.ts): per batch of each mode after a warm-up, the wall time of collation, of
// the forward and backward pass (the model's host work on the batch, the layout and targets, included),
// and of the optimizer step; the kernels launched; and the kernel time split into vocabulary-wide kernels (an input or output
// with the 50257-wide vocabulary axis: the head, its loss and the embedding's gradient) and the rest
// (the body, attention buckets included). Times are taken with the profiler on, which adds to them.
// Writes a table to stdout.
// Usage: npx tsx tools/bench/packing/profile.ts [--shape tiny] [--loss all] [--rows 4] [--batches 3] [--seed 1]
import { cpus, loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { fromConfig, languageModelingConfig, packedBatches, type Example } from '@ftune/collator';
import { describeChoice, initBackend } from '@ftune/compute';
import { createModel, gptNeoConfig } from '@ftune/model-gpt-neo';
import { ADAMW_DEFAULTS, AdamW } from '@ftune/trainer';
import { benchExamples, flag } from './data';

const SHAPE = flag('shape', 'tiny', ['tiny', 'small', 'gpt-neo-125m']);
const LOSS = flag('loss', 'all', ['all', 'completion']) as 'all' | 'completion';
const ROWS = Number(flag('rows', '4'));
const BATCHES = Number(flag('batches', '3'));
const SEED = Number(flag('seed', '1'));
const MAX = 1024;

interface Figures {
  hostMs: number;
  stepMs: number;
  optimizerMs: number;
  kernels: number;
  vocabMs: number;
  otherMs: number;
  useful: number;
  /** Kernel time by category and op name, e.g. "other BatchMatMul". */
  byOp: Map<string, number>;
}

async function profileMode(packed: boolean, examples: Example[], sizes: number[]): Promise<Figures> {
  const model = createModel(gptNeoConfig(SHAPE, { maxPositionEmbeddings: MAX }), SEED);
  const optimizer = new AdamW(model.trainableVariables, ADAMW_DEFAULTS);
  const collator = fromConfig(languageModelingConfig({ maxLength: MAX, keepEos: true, ...(packed && { packLength: MAX }) }));
  const groups = packed
    ? packedBatches(sizes, { rowLength: MAX, rowsPerBatch: ROWS, seed: SEED })
    : Array.from({ length: Math.floor(sizes.length / ROWS) }, (_, b) => Array.from({ length: ROWS }, (_, r) => b * ROWS + r));
  const V = model.config.vocabSize;
  const known = new Set(tf.getKernelsForBackend(tf.getBackend()).map((k) => k.kernelName));
  const sum: Figures = { hostMs: 0, stepMs: 0, optimizerMs: 0, kernels: 0, vocabMs: 0, otherMs: 0, useful: 0, byOp: new Map() };
  for (let b = 0; b <= BATCHES; b++) {
    const t0 = performance.now();
    const batch = collator.collate(groups[b].map((i) => examples[i])).batch;
    const host = performance.now() - t0;
    let step = 0;
    const info = await tf.profile(() => {
      const t1 = performance.now();
      const { value, grads } = tf.variableGrads(() => model.lossTerms(batch, { training: true }).lossSum, model.trainableVariables);
      value.dataSync();
      step = performance.now() - t1;
      const t2 = performance.now();
      const norm = optimizer.clipAndApply(new Map(Object.entries(grads)), tf.scalar(1000), 1, 1e-4);
      norm.dataSync();
      sum.optimizerMs += b > 0 ? performance.now() - t2 : 0;
      tf.dispose([value, norm, ...Object.values(grads)]);
    });
    if (b === 0) continue; // warm-up
    sum.hostMs += host;
    sum.stepMs += step;
    sum.useful += batch.attentionMask.reduce((n, m) => n + m, 0);
    for (const k of info.kernels) {
      if (!known.has(k.name)) continue; // custom-gradient wrappers: their kernels are listed themselves
      sum.kernels++;
      const wide = [...k.inputShapes, ...k.outputShapes].some((s) => s?.includes(V));
      const ms = k.kernelTimeMs as number;
      if (wide) sum.vocabMs += ms;
      else sum.otherMs += ms;
      const key = `${wide ? 'vocabulary-wide' : 'other'} ${k.name}`;
      sum.byOp.set(key, (sum.byOp.get(key) ?? 0) + ms);
    }
  }
  model.dispose();
  return sum;
}

async function main(): Promise<void> {
  const choice = await initBackend();
  const { examples, sizes } = benchExamples(400, SEED, LOSS);
  console.log(`# Packing profile (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  console.log(`\n\`npx tsx tools/bench/packing/profile.ts ${process.argv.slice(2).join(' ')}\``);
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\n${describeChoice(choice)[0]}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load before ${load()}`);
  console.log(`GPT-Neo ${SHAPE} shape, ${ROWS} rows per batch, ${LOSS === 'all' ? 'labels on every token' : 'labels on the second half of each example'}; per batch, mean of ${BATCHES} after a warm-up.\n`);
  console.log('| mode | useful tokens | collation ms | forward + backward ms | optimizer ms | kernels | vocabulary-wide kernel ms | other kernel ms |');
  console.log('|---|---|---|---|---|---|---|---|');
  const tops: string[] = [];
  for (const packed of [false, true]) {
    const f = await profileMode(packed, examples, sizes);
    const per = (x: number): string => (x / BATCHES).toFixed(0);
    const mode = packed ? 'packed' : 'padded';
    console.log(
      `| ${mode} | ${per(f.useful)} | ${per(f.hostMs)} | ${per(f.stepMs)} | ${per(f.optimizerMs)} | ${per(f.kernels)} | ${per(f.vocabMs)} | ${per(f.otherMs)} |`,
    );
    const top = [...f.byOp].sort((a, b) => b[1] - a[1]).slice(0, 8);
    tops.push(`${mode}, largest kernel times per batch: ${top.map(([op, ms]) => `${op} ${per(ms)} ms`).join(', ')}`);
  }
  console.log(`\n${tops.join('\n')}`);
  console.log(`\nload after ${load()}`);
}

void main();
