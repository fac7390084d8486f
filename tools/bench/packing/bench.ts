// Packing benchmark: useful (non-padding) tokens per second of training, packed rows against padded
// batches, on a long-tailed dataset (lengths log-normal, median 96, clipped to 16..1024 tokens), in the
// same process on the same model, data and backend. Each mode runs train() for the same number of
// optimizer steps on batches of the same shape budget (--rows rows of at most 1024 tokens): padded =
// --rows examples padded to the longest (then to a multiple of 8), packed = --rows rows of 1024 tokens
// filled best-fit decreasing. A randomly initialised GPT-Neo of a preset shape (--shape: tiny, whose
// 50257-wide head outweighs its body, or small / gpt-neo-125m, whose body weighs more) with 1024
// positions; labels on every token (--loss all) or on each example's second half only (--loss
// completion, a prompt/response split: the head then runs on half the tokens). --repeat N runs the two
// modes N times each, alternating (padded, packed, padded, …), so that a burst of other work on a shared
// machine falls on both; the ratio is the median of the N pairs'. Beside wall time, the process's CPU
// time (user + system, all its threads) over the same steps: tokens per CPU-second depend less on what
// else the machine runs. Writes the date, the machine, the load
// before and after, the command and the table to stdout; tools/bench/packing/result.md holds runs.
// Usage: npx tsx tools/bench/packing/bench.ts [--shape tiny] [--loss all] [--examples 400] [--rows 4]
//          [--steps 8] [--repeat 1] [--seed 1] [--checkpointing]
// --checkpointing recomputes each block in the backward pass (both modes), so that the 125M shape's
// activations fit beside other work.
import { loadavg, cpus } from 'node:os';
import { fromConfig, languageModelingConfig, type Example } from '@ftune/collator';
import { describeChoice, initBackend } from '@ftune/compute';
import { createModel, gptNeoConfig } from '@ftune/model-gpt-neo';
import { packedSampler, train, type DataSource, type TrainerEvent } from '@ftune/trainer';
import { benchExamples, flag, MAX_LENGTH as MAX } from './data';

const EXAMPLES = Number(flag('examples', '400'));
const ROWS = Number(flag('rows', '4'));
const STEPS = Number(flag('steps', '8'));
const SEED = Number(flag('seed', '1'));
const REPEAT = Number(flag('repeat', '1'));
const CHECKPOINTING = process.argv.includes('--checkpointing');
const SHAPE = flag('shape', 'tiny', ['tiny', 'small', 'gpt-neo-125m']);
const LOSS = flag('loss', 'all', ['all', 'completion']) as 'all' | 'completion';
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/** Trains `STEPS` steps; counts rows, cells and non-padding tokens of the timed steps (all but the first). */
async function run(packed: boolean, examples: Example[], sizes: number[]) {
  const model = createModel(gptNeoConfig(SHAPE, { maxPositionEmbeddings: MAX }), SEED);
  model.gradientCheckpointing = CHECKPOINTING;
  const collator = fromConfig(
    languageModelingConfig({ maxLength: MAX, keepEos: true, ...(packed && { packLength: MAX }) }),
  );
  let start = 0;
  let cpuStart = process.cpuUsage();
  const timed = { rows: 0, cells: 0, useful: 0 };
  const data: DataSource<Example> = {
    examples,
    lengths: sizes,
    collate: (b) => {
      const batch = collator.collate(b).batch;
      if (start > 0) {
        timed.rows += batch.batchSize;
        timed.cells += batch.batchSize * batch.seqLen;
        timed.useful += batch.attentionMask.reduce((n, m) => n + m, 0);
      }
      return batch;
    },
  };
  // the first step (allocation, kernel set-up) is left out of the timing
  const onEvent = (e: TrainerEvent): void => {
    if (e.type === 'step' && e.record.step === 1) {
      start = performance.now();
      cpuStart = process.cpuUsage();
    }
  };
  await train({
    model,
    train: data,
    args: { batchSize: ROWS, maxSteps: STEPS, learningRate: 1e-3, saveSteps: 0, seed: SEED, packing: packed },
    onEvent,
    ...(packed && { sampler: packedSampler(sizes, MAX) }),
  });
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  model.dispose();
  return { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...timed };
}

async function main(): Promise<void> {
  const choice = await initBackend();
  const { examples, sizes } = benchExamples(EXAMPLES, SEED, LOSS);
  const sorted = [...sizes].sort((a, b) => a - b);
  const total = sizes.reduce((a, b) => a + b, 0);
  console.log(`# Packing benchmark (${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC)`);
  console.log(`\n\`npx tsx tools/bench/packing/bench.ts ${process.argv.slice(2).join(' ')}\``);
  console.log(`\n${describeChoice(choice)[0]}; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load before ${load()}`);
  console.log(
    `${EXAMPLES} examples, lengths 16..1024 log-normal: median ${sorted[sorted.length >> 1]}, mean ${Math.round(total / EXAMPLES)}, max ${sorted[sorted.length - 1]}; ` +
      `${STEPS} optimizer steps per mode (the first untimed), ${ROWS} rows per batch, GPT-Neo ${SHAPE} shape with 1024 positions, ` +
      `${LOSS === 'all' ? 'labels on every token' : 'labels on the second half of each example'}` +
      `${CHECKPOINTING ? ', gradient checkpointing' : ''}.\n`,
  );
  console.log('| mode | useful tokens/s | useful tokens per CPU-s | useful tokens | padding share | rows | s | CPU-s |');
  console.log('|---|---|---|---|---|---|---|---|');
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let pair = 1; pair <= REPEAT; pair++) {
    const perSecond: number[] = [];
    const perCpuSecond: number[] = [];
    for (const packed of [false, true]) {
      const r = await run(packed, examples, sizes);
      perSecond.push(r.useful / r.seconds);
      perCpuSecond.push(r.useful / r.cpuSeconds);
      console.log(
        `| ${packed ? 'packed' : 'padded'}${REPEAT > 1 ? ` ${pair}` : ''} | ${Math.round(r.useful / r.seconds)} | ${Math.round(r.useful / r.cpuSeconds)} | ${r.useful} | ${(1 - r.useful / r.cells).toFixed(2)} | ${r.rows} | ${r.seconds.toFixed(1)} | ${r.cpuSeconds.toFixed(1)} |`,
      );
    }
    ratios.push(perSecond[1] / perSecond[0]);
    cpuRatios.push(perCpuSecond[1] / perCpuSecond[0]);
  }
  const median = (xs: number[]): number => {
    const o = [...xs].sort((a, b) => a - b);
    return o.length % 2 ? o[o.length >> 1] : (o[o.length / 2 - 1] + o[o.length / 2]) / 2;
  };
  const pairs = (xs: number[]): string => (REPEAT > 1 ? ` (median of ${REPEAT} pairs: ${xs.map((r) => r.toFixed(2)).join(', ')})` : '');
  console.log(`\npacked / padded: ${median(ratios).toFixed(2)}x useful tokens per second${pairs(ratios)}`);
  console.log(`packed / padded: ${median(cpuRatios).toFixed(2)}x useful tokens per CPU-second${pairs(cpuRatios)}; load after ${load()}`);
}

void main();
