// `ftune generate`: continues a prompt with a GPT-Neo model (greedy by default; sampling with --temperature,
// --top-k, --top-p, --seed) and prints the continuation; --json prints {"completion", "ids"} instead.
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import { lib } from './libs';
import { ADAPTER_HELP, openModelFolder } from './model-folder';
import { nonNegativeInt, positiveInt } from './tokenize';

interface GenerateFlags {
  model: string;
  adapter?: string;
  prompt: string;
  tokenizer?: string;
  maxNewTokens: number;
  temperature: number;
  topK?: number;
  topP?: number;
  seed: number;
  json?: boolean;
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UserError(`expected a number ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('continue a prompt with a GPT-Neo model (greedy, or sampled with temperature / top-k / top-p)')
    .requiredOption('--model <DIR>', 'a Hugging Face GPT-Neo folder (config.json + model.safetensors), or a LoRA adapter folder')
    .option('--adapter <DIR>', ADAPTER_HELP)
    .requiredOption('--prompt <TEXT>', 'the text to continue')
    .option('--tokenizer <gpt2|DIR>', 'tokenizer (default: the model folder if it has tokenizer files, else gpt2)')
    .option('--max-new-tokens <N>', 'most tokens to add (stops earlier at the end-of-text token)', positiveInt, 50)
    .option('--temperature <T>', '0 = greedy; > 0 samples from softmax(logits / T)', nonNegativeNumber, 0)
    .option('--top-k <K>', 'sampling: keep the K most likely tokens', positiveInt)
    .option('--top-p <P>', 'sampling: keep the most likely tokens up to probability mass P (0 < P ≤ 1)', nonNegativeNumber)
    .option('--seed <N>', 'seed of the sampling', nonNegativeInt, 0)
    .option('--json', 'print {"completion", "ids"} instead of the text')
    .action(async (flags: GenerateFlags) => generate(flags));
}

async function generate(flags: GenerateFlags): Promise<void> {
  const options = { maxNewTokens: flags.maxNewTokens, temperature: flags.temperature, topK: flags.topK, topP: flags.topP, seed: flags.seed };
  lib.modelGptNeo().validateGenerateOptions(options);
  const { model, tokenizer } = await openModelFolder(flags.model, flags.tokenizer, flags.adapter);
  try {
    const prompt = tokenizer.encodeIds(flags.prompt);
    if (prompt.length === 0) throw new UserError('--prompt is empty');
    if (prompt.length >= model.config.maxPositionEmbeddings) {
      throw new UserError(`the prompt has ${prompt.length} tokens; the model reads at most ${model.config.maxPositionEmbeddings}`);
    }
    const ids = model.generate(prompt, { ...options, eosTokenId: tokenizer.eosTokenId ?? model.config.eosTokenId });
    const completion = tokenizer.decode(ids);
    process.stdout.write(flags.json ? `${JSON.stringify({ completion, ids })}\n` : `${completion}\n`);
  } finally {
    model.dispose();
  }
}
