// The default collator against trl 0.19.1 itself: every golden case, replayed from HF's ids, must give
// exactly the batch and the warnings the seed's collator gave.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

interface EosCase {
  name: string;
  texts: string[];
  ids: number[][];
  response: string;
  instruction: string | null;
  maxLength: number | null;
  padToMultipleOf: number;
  expected: { input_ids: number[][]; attention_mask: number[][]; labels: number[][] };
}

describe('golden: EOS appended and kept learnable = trl 0.19.1 on the texts with EOS appended', () => {
  const fixture = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'append-eos.json'), 'utf8')) as {
    cases: EosCase[];
  };
  it('covers truncation, an existing EOS, multi-turn and padding', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(6);
  });
  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const tokenizer = gpt2Tokenizer();
    const ids = c.texts.map((t) => tokenizer.encodeIds(t));
    expect(ids).toEqual(c.ids);
    const config = completionOnlyConfig(
      {
        responseTemplate: c.response,
        instructionTemplate: c.instruction,
        padToMultipleOf: c.padToMultipleOf,
        maxLength: c.maxLength ?? undefined,
        appendEos: true,
        keepEos: true,
      },
      tokenizer,
    );
    const got = batchToJson(fromConfig(config).collate(ids.map((inputIds) => ({ inputIds }))).batch);
    expect(got.labels).toEqual(c.expected.labels);
    expect(got.attention_mask).toEqual(c.expected.attention_mask);
    // the pad ids differ by construction (trl needs a distinct pad to keep EOS a label); real tokens agree
    const real = (rows: number[][]) =>
      rows.map((row, b) => row.filter((_, t) => c.expected.attention_mask[b][t]));
    expect(real(got.input_ids)).toEqual(real(c.expected.input_ids));
    expect(got.labels.flat().filter((y) => y === tokenizer.eosTokenId).length).toBeGreaterThan(0);
  });
});
