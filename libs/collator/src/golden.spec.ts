// The default collator against trl 0.19.1 itself: every golden case, replayed from HF's ids, must give
// exactly the batch and the warnings the seed's collator gave.
import { describe, expect, it } from 'vitest';
import { batchToJson, hfBatchJson } from './batch';
import { fromConfig } from './collator';
import { goldenCases, type GoldenCase } from './fixtures';
import { completionOnlyConfig, languageModelingConfig } from './presets';
import { gpt2Tokenizer } from './testing';
import { warningCollector } from './warnings';

function configFor(c: GoldenCase) {
  const common = { padToMultipleOf: c.padToMultipleOf, maxLength: c.maxLength ?? undefined };
  if (c.kind === 'language-modeling') return languageModelingConfig(common);
  return completionOnlyConfig({
    ...common,
    responseTemplate: c.responseIds ?? [],
    instructionTemplate: c.instructionIds,
    ignoreIndex: c.ignoreIndex,
    paddingFree: c.paddingFree,
  });
}

function seedOutput(c: GoldenCase) {
  const { sink, warnings } = warningCollector();
  const collator = fromConfig(configFor(c), { onWarning: sink });
  const { batch } = collator.collate(c.ids.map((inputIds) => ({ inputIds })));
  const json = hfBatchJson(batch, c.paddingFree ?? false);
  return {
    json,
    warnings: warnings.map((w) => (w.code === 'instruction-template-not-found' ? 'instruction' : 'response')),
  };
}

describe('golden: trl 0.19.1 DataCollatorForCompletionOnlyLM, GPT-2, pad = eos', () => {
  const cases = goldenCases();
  it('covers the cases the seed must reproduce', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { json, warnings } = seedOutput(c);
    expect(json).toEqual(c.expected);
    expect(warnings).toEqual(c.warnings);
  });
});

describe('golden from text: GPT-2 tokenizer + template strings give the same batches', () => {
  const cases = goldenCases().filter((c) => c.kind === 'completion-only');
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const tokenizer = gpt2Tokenizer();
    const ids = c.texts.map((t) => tokenizer.encodeIds(t));
    expect(ids).toEqual(c.ids);
    const config = completionOnlyConfig(
      {
        responseTemplate: c.response ?? [],
        instructionTemplate: c.instruction,
        padToMultipleOf: c.padToMultipleOf,
        maxLength: c.maxLength ?? undefined,
        ignoreIndex: c.ignoreIndex,
        paddingFree: c.paddingFree,
      },
      tokenizer,
    );
    const fromText = batchToJson(fromConfig(config).collate(ids.map((inputIds) => ({ inputIds }))).batch);
    expect(fromText.input_ids).toEqual(c.expected.input_ids);
    expect(fromText.labels).toEqual(c.expected.labels);
  });
});
