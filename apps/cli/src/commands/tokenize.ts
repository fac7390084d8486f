// `ftune tokenize`: JSONL {"text"} on stdin → {"input_ids": [...]} per line on stdout, with the ids
// Hugging Face's GPT2TokenizerFast gives; optional offsets, truncation and padding. Streams in
// constant memory; --workers spreads chunks over worker threads and keeps the output in input order.
import type { Command } from 'commander';
import { UserError } from '@ftune/common';
import type { Side, TokenizeLinesOptions } from '@ftune/tokenizer';
import { mapJsonlStream } from './jsonl-chunks';
import { lib } from './libs';

interface TokenizeFlags {
  tokenizer: string;
  offsets?: boolean;
  maxLength?: number;
  truncationSide: string;
  padding?: boolean;
  paddingSide: string;
  padToMultipleOf?: number;
  padId?: number;
  skipInvalid?: boolean;
  workers: number;
}

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UserError(`expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new UserError(`expected an integer ≥ 0, got ${JSON.stringify(value)}`);
  return n;
}

export function sideOf(value: string, flag: string): Side {
  if (value !== 'left' && value !== 'right') throw new UserError(`${flag} must be left or right`);
  return value;
}

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('tokenize JSONL {"text"} from stdin into {"input_ids"} lines (Hugging Face-identical ids)')
    .option('--tokenizer <gpt2|DIR>', 'built-in gpt2 or a Hugging Face tokenizer folder', 'gpt2')
    .option('--offsets', 'also write "offsets": [start, end] of each token in the text (UTF-16 units)')
    .option('--max-length <N>', 'truncate each line to N tokens', positiveInt)
    .option('--truncation-side <left|right>', 'which end truncation cuts', 'right')
    .option('--padding', 'pad each line to --max-length (and/or --pad-to-multiple-of); adds "attention_mask"')
    .option('--padding-side <left|right>', 'which end padding goes', 'right')
    .option('--pad-to-multiple-of <M>', 'round each padded length up to a multiple of M', positiveInt)
    .option(
      '--pad-id <ID>',
      "pad token id (default: the tokenizer's pad token, else its eos token)",
      nonNegativeInt,
    )
    .option(
      '--skip-invalid',
      'skip lines that are not {"text": string} (counted on stderr) instead of failing',
    )
    .option('--workers <N>', 'worker threads (0: tokenize on the main thread)', nonNegativeInt, 0)
    .action(async (flags: TokenizeFlags) => tokenize(flags));
}

async function tokenize(flags: TokenizeFlags): Promise<void> {
  const { loadTokenizer, TokenizerPool, tokenizeLines } = lib.tokenizer();
  const tokenizer = loadTokenizer(flags.tokenizer);
  const options: TokenizeLinesOptions = { offsets: flags.offsets, skipInvalid: flags.skipInvalid };
  if (flags.maxLength !== undefined) {
    options.truncation = {
      maxLength: flags.maxLength,
      side: sideOf(flags.truncationSide, '--truncation-side'),
    };
  }
  if (flags.padding) {
    if (flags.maxLength === undefined && flags.padToMultipleOf === undefined) {
      throw new UserError(
        '--padding needs --max-length and/or --pad-to-multiple-of (each line is padded on its own)',
      );
    }
    const padTokenId = flags.padId ?? tokenizer.padTokenId ?? tokenizer.eosTokenId;
    if (padTokenId === null) throw new UserError('the tokenizer has no pad or eos token: give --pad-id');
    options.padding = {
      maxLength: flags.maxLength,
      padToMultipleOf: flags.padToMultipleOf,
      padTokenId,
      side: sideOf(flags.paddingSide, '--padding-side'),
    };
  }
  const pool = flags.workers > 0 ? new TokenizerPool(flags.tokenizer, flags.workers) : null;
  try {
    const totals = await mapJsonlStream(
      process.stdin,
      process.stdout,
      (chunk, firstLine) =>
        pool
          ? pool.tokenizeLines(chunk, firstLine, options)
          : tokenizeLines(tokenizer, chunk, firstLine, options),
      pool ? flags.workers * 2 : 1,
    );
    if (totals.skipped > 0)
      process.stderr.write(`ftune tokenize: skipped ${totals.skipped} invalid line(s)\n`);
  } finally {
    await pool?.close();
  }
}
