// Helpers for this library's specs: the real GPT-2 tokenizer (loaded once) and a one-call collate.
import { loadTokenizer } from '@ftune/tokenizer';
import { batchToJson } from './batch';
import { fromConfig, type CollateResult } from './collator';
import { IGNORE_INDEX } from './labels';
import { completionOnlyConfig, type CompletionOnlyOptions } from './presets';
import type { TemplateTokenizer } from './tokenizer';
import { warningCollector, type CollatorWarning } from './warnings';

let gpt2: TemplateTokenizer | undefined;

export function gpt2Tokenizer(): TemplateTokenizer {
  gpt2 ??= loadTokenizer('gpt2');
  return gpt2;
}

export const EOS = '<|endoftext|>';

export interface Collated extends CollateResult {
  json: Record<string, number[][]>;
  warnings: CollatorWarning[];
}

/** Encodes `texts` with GPT-2 and collates them with the completion-only preset and `options`. */
export function collateTexts(texts: string[], options: CompletionOnlyOptions): Collated {
  const tokenizer = gpt2Tokenizer();
  const { sink, warnings } = warningCollector();
  const collator = fromConfig(completionOnlyConfig(options, tokenizer, sink), { tokenizer, onWarning: sink });
  const result = collator.collate(
    texts.map((text, i) => ({ inputIds: tokenizer.encodeIds(text), text, name: `line ${i + 1}` })),
  );
  return { ...result, json: batchToJson(result.batch), warnings };
}

/** Labels of row `b` that are trained (not -100 / ignore index), decoded. */
export function trainedText(result: Collated, b = 0, ignoreIndex = IGNORE_INDEX): string {
  const labels = result.json.labels[b].filter((l) => l !== IGNORE_INDEX && l !== ignoreIndex);
  return gpt2Tokenizer().decode(labels);
}
