// `ftune score`: JSONL {"text"} on stdin → {"loss", "tokens"} per line on stdout: the mean next-token
// cross-entropy of the text under a GPT-Neo model (as transformers' model(ids, labels=ids).loss) and its token
// count. Perplexity is exp(loss). Lines are scored in batches of equal-ish cost; output keeps input order.
import type { Command } from 'commander';
import { UserError, readLines } from '@ftune/common';
import type { GPTNeoModel } from '@ftune/model-gpt-neo';
import { ADAPTER_HELP, openModelFolder } from './model-folder';
import { positiveInt } from './tokenize';

interface ScoreFlags {
  model: string;
  adapter?: string;
  tokenizer?: string;
  batchSize: number;
  maxLength?: number;
}

export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score JSONL {"text"} from stdin with a GPT-Neo model: {"loss", "tokens"} per line (perplexity = exp(loss))')
    .requiredOption('--model <DIR>', 'a Hugging Face GPT-Neo folder (config.json + model.safetensors), or a LoRA adapter folder')
    .option('--adapter <DIR>', ADAPTER_HELP)
    .option('--tokenizer <gpt2|DIR>', 'tokenizer (default: the model folder if it has tokenizer files, else gpt2)')
    .option('--batch-size <N>', 'texts per forward pass', positiveInt, 8)
    .option('--max-length <N>', 'keep only the first N tokens of each text (default: refuse texts longer than the model)', positiveInt)
    .action(async (flags: ScoreFlags) => score(flags));
}

interface Pending {
  line: number;
  ids: number[];
}

/** Mean next-token loss of each row (null with fewer than 2 tokens), from one padded batch. */
export function scoreBatch(model: GPTNeoModel, rows: number[][]): Array<number | null> {
  const T = Math.max(...rows.map((r) => r.length));
  const B = rows.length;
  const inputIds = new Int32Array(B * T);
  const attentionMask = new Int32Array(B * T);
  // -100 is @ftune/collator's IGNORE_INDEX, written out: importing the collator here would load it for every command
  const labels = new Int32Array(B * T).fill(-100);
  rows.forEach((ids, b) => {
    ids.forEach((id, t) => {
      inputIds[b * T + t] = id;
      attentionMask[b * T + t] = 1;
      labels[b * T + t] = id;
    });
  });
  const logp = model.tokenLogProbs({ batchSize: B, seqLen: T, inputIds, attentionMask, labels });
  return rows.map((ids, b) => {
    if (ids.length < 2) return null;
    let sum = 0;
    for (let t = 1; t < ids.length; t++) sum -= logp[b * T + t];
    return sum / (ids.length - 1);
  });
}

async function score(flags: ScoreFlags): Promise<void> {
  const { model, tokenizer } = await openModelFolder(flags.model, flags.tokenizer, flags.adapter);
  const limit = model.config.maxPositionEmbeddings;
  let batch: Pending[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const losses = scoreBatch(model, batch.map((p) => p.ids));
    process.stdout.write(batch.map((p, i) => `${JSON.stringify({ loss: losses[i], tokens: p.ids.length })}\n`).join(''));
    batch = [];
  };
  try {
    for await (const { number, text } of readLines(process.stdin)) {
      if (text.trim() === '') continue;
      let record: unknown;
      try {
        record = JSON.parse(text);
      } catch {
        throw new UserError(`line ${number}: not valid JSON`);
      }
      const value = (record as { text?: unknown } | null)?.text;
      if (typeof value !== 'string') throw new UserError(`line ${number}: expected {"text": string}`);
      let ids = tokenizer.encodeIds(value);
      if (flags.maxLength !== undefined) ids = ids.slice(0, flags.maxLength);
      if (ids.length > limit) {
        throw new UserError(`line ${number}: ${ids.length} tokens, more than the model's ${limit} positions (use --max-length)`);
      }
      const outside = ids.find((id) => id >= model.config.vocabSize);
      if (outside !== undefined) {
        throw new UserError(`line ${number}: token id ${outside} is outside the model's vocabulary of ${model.config.vocabSize} (wrong --tokenizer?)`);
      }
      batch.push({ line: number, ids });
      if (batch.length >= flags.batchSize) flush();
    }
    flush();
  } finally {
    model.dispose();
  }
}
