// `ftune collate`: JSONL {"text"} on stdin → one JSON batch per line on stdout, keyed as trl returns it.
// Defaults reproduce the seed (trl 0.19.1 DataCollatorForCompletionOnlyLM, pad = eos, multiple of 8);
// each fix is a flag. Streams batch by batch, except --group-by-length, which needs every length first.
import type { Command } from 'commander';
import { readLines, UserError } from '@ftune/common';
import type { CollatorWarning, Example, TemplateSpec } from '@ftune/collator';
import { lib } from './libs';

interface CollateFlags {
  tokenizer: string;
  batchSize: number;
  responseTemplate: string;
  responseContext?: string;
  instructionTemplate?: string;
  instructionContext?: string;
  padToMultipleOf: number;
  maxLength?: number;
  ignoreIndex?: number;
  paddingFree?: boolean;
  keepEos?: boolean;
  appendEos?: boolean;
  checkTemplate?: boolean;
  untrainable: 'keep' | 'report' | 'drop';
  pack?: number;
  groupByLength?: boolean;
  seed: number;
}

export function registerCollate(program: Command): void {
  program
    .command('collate')
    .description(
      'collate JSONL {"text"} from stdin into completion-only LM batches (one JSON line per batch)',
    )
    .option('--tokenizer <gpt2|DIR>', 'built-in gpt2 or a Hugging Face tokenizer folder', 'gpt2')
    .option('--batch-size <N>', 'examples per batch', positiveInt, 8)
    .requiredOption('--response-template <STR>', 'text that starts each response (matched by token ids)')
    .option(
      '--response-context <STR>',
      'fix: match the response template as it tokenizes after this text (e.g. "\\n")',
    )
    .option('--instruction-template <STR>', 'text that starts each instruction (multi-turn)')
    .option(
      '--instruction-context <STR>',
      'fix: match the instruction template as it tokenizes after this text',
    )
    .option(
      '--pad-to-multiple-of <M>',
      'round padded length up to a multiple of M (0: longest row)',
      nonNegativeInt,
      8,
    )
    .option('--max-length <L>', 'truncate each example to L tokens', positiveInt)
    // the collator's IGNORE_INDEX when not given (spelled in the help, so --help loads no library)
    .option('--ignore-index <N>', 'label of tokens left out of the loss (default: -100)', integer)
    .option('--padding-free', "trl's padding_free: each batch as one row with position ids")
    .option('--keep-eos', 'fix: mask padding by position, so a real EOS (= pad) stays a target')
    .option('--append-eos', 'fix: append EOS to examples that do not end with it')
    .option('--check-template', 'fix: warn when a template tokenizes differently inside a text')
    .option(
      '--untrainable <keep|report|drop>',
      'fix: report or drop rows left with no trainable token',
      'keep',
    )
    .option(
      '--pack <L>',
      'fix: pack several examples per row of L tokens (segment and position ids)',
      positiveInt,
    )
    .option('--group-by-length', 'fix: batches of similar lengths (reads all input first; adds "lines")')
    .option('--seed <N>', 'seed for --group-by-length', integer, 0)
    .action(async (flags: CollateFlags) => collate(flags));
}

async function collate(flags: CollateFlags): Promise<void> {
  if (!['keep', 'report', 'drop'].includes(flags.untrainable))
    throw new UserError(`--untrainable must be keep, report or drop`);
  const { completionOnlyConfig, fromConfig, hfBatchJson, lengthGroupedBatches } = lib.collator();
  const tokenizer = lib.tokenizer().loadTokenizer(flags.tokenizer);
  const onWarning = (w: CollatorWarning) => process.stderr.write(`ftune collate: warning: ${w.message}\n`);
  const config = userErrors(() =>
    completionOnlyConfig(
      {
        responseTemplate: template(flags.responseTemplate, flags.responseContext),
        instructionTemplate:
          flags.instructionTemplate === undefined
            ? null
            : template(flags.instructionTemplate, flags.instructionContext),
        padTokenId: tokenizer.padTokenId ?? undefined,
        padToMultipleOf: flags.padToMultipleOf === 0 ? null : flags.padToMultipleOf,
        maxLength: flags.maxLength,
        ignoreIndex: flags.ignoreIndex,
        paddingFree: flags.paddingFree,
        keepEos: flags.keepEos,
        appendEos: flags.appendEos,
        checkTemplateContext: flags.checkTemplate,
        untrainableRows: flags.untrainable,
        packLength: flags.pack,
      },
      tokenizer,
      onWarning,
    ),
  );
  const collator = fromConfig(config, { tokenizer, onWarning });
  const emit = (examples: Example[], extra: object = {}) => {
    const json = hfBatchJson(collator.collate(examples).batch, flags.paddingFree ?? false);
    process.stdout.write(`${JSON.stringify({ ...json, ...extra })}\n`);
  };
  const examples: Example[] = [];
  const lineNumbers: number[] = [];
  for await (const line of readLines(process.stdin)) {
    if (line.text.trim() === '') continue;
    const text = textOf(line.text, line.number);
    examples.push({ inputIds: tokenizer.encodeIds(text), text, name: `line ${line.number}` });
    lineNumbers.push(line.number);
    if (!flags.groupByLength && examples.length === flags.batchSize) emit(examples.splice(0));
  }
  if (!flags.groupByLength) {
    if (examples.length > 0) emit(examples);
    return;
  }
  const batches = lengthGroupedBatches(
    examples.map((e) => e.inputIds.length),
    flags,
  );
  for (const batch of batches)
    emit(
      batch.map((i) => examples[i]),
      { lines: batch.map((i) => lineNumbers[i]) },
    );
}

function userErrors<T>(build: () => T): T {
  const { TemplateError } = lib.collator();
  try {
    return build();
  } catch (e) {
    if (e instanceof TemplateError || e instanceof RangeError) throw new UserError(e.message);
    throw e;
  }
}

function template(text: string, context: string | undefined): TemplateSpec {
  return context === undefined ? text : { text, context };
}

function textOf(raw: string, lineNumber: number): string {
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch {
    throw new UserError(`line ${lineNumber}: not valid JSON`);
  }
  const text = (record as { text?: unknown } | null)?.text;
  if (typeof text !== 'string')
    throw new UserError(`line ${lineNumber}: expected an object with a string "text"`);
  return text;
}

function integer(value: string): number {
  if (!/^-?\d+$/.test(value)) throw new UserError(`expected an integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function positiveInt(value: string): number {
  const n = integer(value);
  if (n < 1) throw new UserError(`expected a positive integer, got ${value}`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = integer(value);
  if (n < 0) throw new UserError(`expected a non-negative integer, got ${value}`);
  return n;
}
