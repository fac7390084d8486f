// Collator configs from flat options. Defaults reproduce the seed exactly: trl 0.19.1
// DataCollatorForCompletionOnlyLM over DataCollatorForLanguageModeling(mlm=False, pad_to_multiple_of=8),
// GPT-2 with pad = eos = 50256. Each fix is an option that is off by default (see the step it adds).
import type { CollatorConfig, LayoutConfig, StepConfig } from './config';
import { IGNORE_INDEX } from './labels';
import { resolveTemplate, type Template, type TemplateSpec } from './template';
import type { TemplateTokenizer } from './tokenizer';
import type { WarningSink } from './warnings';

/** GPT-2's <|endoftext|>, the seed's eos and pad. */
export const GPT2_EOS_ID = 50256;

export interface LanguageModelingOptions {
  /** Default: the tokenizer's eos (the seed sets pad = eos), else 50256. */
  padTokenId?: number;
  /** Default 8 (the seed); null = pad to the longest row. */
  padToMultipleOf?: number | null;
  /** Truncate every example to this many tokens (the tokenizer's `max_length`). */
  maxLength?: number;
  /** Fix: mask padding by position only, so a real EOS equal to the pad id stays a target. */
  keepEos?: boolean;
  /** Fix: append EOS to examples that do not end with it (use with keepEos). */
  appendEos?: boolean;
  /** Default: the tokenizer's eos, else 50256. */
  eosTokenId?: number;
  /** Fix: several examples per row of this many tokens, with segment and position ids. */
  packLength?: number;
}

export interface CompletionOnlyOptions extends LanguageModelingOptions {
  responseTemplate: TemplateSpec;
  /** Multi-turn mode when given. */
  instructionTemplate?: TemplateSpec | null;
  /** Default -100. */
  ignoreIndex?: number;
  /** trl's padding_free: the whole batch as one row with position ids. */
  paddingFree?: boolean;
  /** Fix: warn when a template's text appears in an example but its ids do not. Needs texts. */
  checkTemplateContext?: boolean;
  /** Fix: 'report' or 'drop' rows left with no trainable token; default 'keep' (the seed: silent). */
  untrainableRows?: 'keep' | 'report' | 'drop';
}

/** The seed's plain LM collator (labels = ids, pad id masked), with the same fixes available. */
export function languageModelingConfig(
  options: LanguageModelingOptions = {},
  tokenizer?: TemplateTokenizer,
): CollatorConfig {
  const ids = tokenIds(options, tokenizer);
  return {
    type: 'collator',
    steps: leadingSteps(options, ids),
    layout: layoutFor(options, ids.pad, IGNORE_INDEX, false),
  };
}

export function completionOnlyConfig(
  options: CompletionOnlyOptions,
  tokenizer?: TemplateTokenizer,
  onWarning?: WarningSink,
): CollatorConfig {
  const ids = tokenIds(options, tokenizer);
  const ignoreIndex = options.ignoreIndex ?? IGNORE_INDEX;
  const response = resolveTemplate(options.responseTemplate, tokenizer);
  const instruction =
    options.instructionTemplate == null ? null : resolveTemplate(options.instructionTemplate, tokenizer);
  if (instruction && ids.pad === ids.eos && !options.keepEos) {
    onWarning?.({
      code: 'pad-equals-eos',
      message:
        'the pad id equals the eos id, so every EOS is masked: a multi-turn model may keep generating turns without stopping (turn on keepEos)',
    });
  }
  const steps: StepConfig[] = leadingSteps(options, ids);
  if (options.checkTemplateContext)
    steps.push({ type: 'check-template-context', templates: templatesOf(response, instruction) });
  steps.push({ type: 'completion-only', response, instruction, ignoreIndex });
  if (options.untrainableRows && options.untrainableRows !== 'keep') {
    steps.push({ type: 'require-trainable', action: options.untrainableRows, ignoreIndex });
  }
  return {
    type: 'collator',
    steps,
    layout: layoutFor(options, ids.pad, ignoreIndex, options.paddingFree ?? false),
  };
}

interface TokenIds {
  pad: number;
  eos: number;
}

function tokenIds(options: LanguageModelingOptions, tokenizer?: TemplateTokenizer): TokenIds {
  const eos = options.eosTokenId ?? tokenizer?.eosTokenId ?? GPT2_EOS_ID;
  return { eos, pad: options.padTokenId ?? eos };
}

function leadingSteps(options: LanguageModelingOptions, ids: TokenIds): StepConfig[] {
  const steps: StepConfig[] = [];
  if (options.appendEos) steps.push({ type: 'append-eos', eosTokenId: ids.eos });
  const maxLength = options.maxLength ?? options.packLength;
  if (maxLength !== undefined)
    steps.push({ type: 'truncate', maxLength: Math.min(maxLength, options.packLength ?? maxLength) });
  if (!options.keepEos) steps.push({ type: 'mask-pad-id', padTokenId: ids.pad });
  return steps;
}

function layoutFor(
  options: LanguageModelingOptions,
  padTokenId: number,
  ignoreIndex: number,
  paddingFree: boolean,
): LayoutConfig {
  const padToMultipleOf = options.padToMultipleOf === undefined ? 8 : options.padToMultipleOf;
  if (paddingFree && options.packLength !== undefined)
    throw new RangeError('choose padding-free or packing, not both');
  if (paddingFree) return { type: 'padding-free', ignoreIndex };
  if (options.packLength !== undefined)
    return { type: 'pack', length: options.packLength, padTokenId, padToMultipleOf, ignoreIndex };
  return { type: 'pad', padTokenId, padToMultipleOf };
}

function templatesOf(response: Template, instruction: Template | null): Template[] {
  return instruction ? [response, instruction] : [response];
}
