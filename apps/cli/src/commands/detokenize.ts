// `ftune detokenize`: JSONL {"input_ids": [...]} on stdin → {"text": ...} per line on stdout, decoded as
// Hugging Face does (no clean-up of spaces unless asked, as transformers 4.53 for GPT-2).
import type { Command } from 'commander';
import { mapJsonlStream } from './jsonl-chunks';
import { lib } from './libs';

interface DetokenizeFlags {
  tokenizer: string;
  skipSpecialTokens?: boolean;
  cleanUpTokenizationSpaces?: boolean;
  skipInvalid?: boolean;
}

export function registerDetokenize(program: Command): void {
  program
    .command('detokenize')
    .description('decode JSONL {"input_ids"} from stdin into {"text"} lines')
    .option('--tokenizer <gpt2|DIR>', 'built-in gpt2 or a Hugging Face tokenizer folder', 'gpt2')
    .option('--skip-special-tokens', 'leave special tokens (e.g. <|endoftext|>) out of the text')
    .option(
      '--clean-up-tokenization-spaces',
      'apply transformers\' clean-up (" ." → ".", " n\'t" → "n\'t", ...)',
    )
    .option('--skip-invalid', 'skip lines that are not {"input_ids": [int...]} (counted on stderr)')
    .action(async (flags: DetokenizeFlags) => {
      const { detokenizeLines, loadTokenizer } = lib.tokenizer();
      const tokenizer = loadTokenizer(flags.tokenizer);
      const totals = await mapJsonlStream(process.stdin, process.stdout, (chunk, firstLine) =>
        detokenizeLines(tokenizer, chunk, firstLine, flags),
      );
      if (totals.skipped > 0)
        process.stderr.write(`ftune detokenize: skipped ${totals.skipped} invalid line(s)\n`);
    });
}
