// `ftune merge`: folds a LoRA adapter (a peft adapter folder, e.g. a LoRA run's model/) into its base model and
// writes a plain Hugging Face GPT-Neo folder that transformers and every ftune command load without the adapter.
import type { Command } from 'commander';
import { lib } from './libs';

interface MergeFlags {
  model?: string;
  adapter: string;
  out: string;
}

export function registerMerge(program: Command): void {
  program
    .command('merge')
    .description('fold a LoRA adapter into its base model: a full Hugging Face folder (peft merge_and_unload)')
    .option('--model <DIR>', "the base model folder (default: the one the adapter's adapter_config.json names)")
    .requiredOption('--adapter <DIR>', 'the adapter folder (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('--out <DIR>', 'where to write the merged model folder')
    .action(async (flags: MergeFlags) => {
      await lib.compute().initBackend();
      const files = lib.modelGptNeo().mergeAdapterFolder({ base: flags.model, adapter: flags.adapter, out: flags.out });
      process.stderr.write(`merged ${flags.adapter} into ${flags.model ?? 'its base'}: ${flags.out} (${files.join(', ')})\n`);
    });
}
