import { describe, expect, it } from 'vitest';
import { batchToJson } from './batch';
import { fromConfig } from './collator';
import { goldenCases } from './fixtures';
import { completionOnlyConfig } from './presets';
import { EOS, gpt2Tokenizer } from './testing';
import { pad } from './layouts/pad';
import { warningCollector } from './warnings';

describe('collator as data', () => {
  it('rebuilds from its JSON config (e.g. carried in an event) with the same output and no tokenizer', () => {
    const config = completionOnlyConfig(
      { responseTemplate: '### Assistant:', instructionTemplate: '### Human:', maxLength: 20 },
      gpt2Tokenizer(),
    );
    const travelled = JSON.parse(JSON.stringify(config)) as typeof config;
    const examples = goldenCases()
      .filter((c) => c.instruction === '### Human:')
      .flatMap((c) => c.ids.map((inputIds) => ({ inputIds })));
    expect(batchToJson(fromConfig(travelled).collate(examples).batch)).toEqual(
      batchToJson(fromConfig(config).collate(examples).batch),
    );
    expect(travelled.steps.map((s) => s.type)).toEqual(['truncate', 'mask-pad-id', 'completion-only']);
    expect(travelled.layout).toEqual({ type: 'pad', padTokenId: 50256, padToMultipleOf: 8 });
  });

  it('warns at build time when multi-turn training masks every EOS (pad = eos), as trl does', () => {
    const { sink, warnings } = warningCollector();
    completionOnlyConfig({ responseTemplate: [1], instructionTemplate: [2] }, undefined, sink);
    completionOnlyConfig({ responseTemplate: [1], instructionTemplate: [2], keepEos: true }, undefined, sink);
    expect(warnings.map((w) => w.code)).toEqual(['pad-equals-eos']);
  });

  it('truncates on the left when asked, keeping the end of the text', () => {
    const ids = gpt2Tokenizer().encodeIds(`Q: a long question\n### Answer: yes${EOS}`);
    const collator = fromConfig({
      type: 'collator',
      steps: [{ type: 'truncate', maxLength: 5, side: 'left' }],
      layout: { type: 'pad', padTokenId: 0, padToMultipleOf: null },
    });
    expect(Array.from(collator.collate([{ inputIds: ids }]).batch.inputIds)).toEqual(ids.slice(-5));
  });

  it('gives an empty batch for no examples, and names examples by index by default', () => {
    const { sink, warnings } = warningCollector();
    const collator = fromConfig(completionOnlyConfig({ responseTemplate: [9, 9] }), { onWarning: sink });
    expect(collator.collate([]).batch).toMatchObject({ batchSize: 0, seqLen: 0 });
    collator.collate([{ inputIds: [1] }, { inputIds: [2] }]);
    expect(warnings.map((w) => w.example)).toEqual(['example 0', 'example 1']);
  });

  it('rejects padding-free together with packing, and a packed row longer than allowed', () => {
    expect(() => completionOnlyConfig({ responseTemplate: [1], paddingFree: true, packLength: 8 })).toThrow(
      RangeError,
    );
    const collator = fromConfig({
      type: 'collator',
      steps: [],
      layout: { type: 'pack', length: 2, padTokenId: 0 },
    });
    expect(() => collator.collate([{ inputIds: [1, 2, 3] }])).toThrow(/more than the packed row length/);
  });
});

describe('example weights', () => {
  it('carries per-example loss weights into the batch, 1 where not given', () => {
    const collator = fromConfig(completionOnlyConfig({ responseTemplate: [9] }));
    expect(collator.collate([{ inputIds: [1] }, { inputIds: [2] }]).batch.exampleWeights).toBeUndefined();
    const { batch } = collator.collate([{ inputIds: [1, 9, 3], weight: 0.5 }, { inputIds: [2] }]);
    expect(Array.from(batch.exampleWeights ?? [])).toEqual([0.5, 1]);
  });

  it('carries weights per token where a row mixes examples (pack), refuses them padding-free', () => {
    const packed = fromConfig(
      completionOnlyConfig({ responseTemplate: [9], packLength: 8, padToMultipleOf: null }),
    );
    const { batch } = packed.collate([{ inputIds: [1, 9, 3], weight: 2 }, { inputIds: [4, 9, 5, 6] }]);
    expect(batch.batchSize).toBe(1);
    expect(Array.from(batch.tokenWeights ?? [])).toEqual([2, 2, 2, 1, 1, 1, 1]);
    expect(packed.collate([{ inputIds: [1, 9, 3] }]).batch.tokenWeights).toBeUndefined();
    const free = fromConfig(completionOnlyConfig({ responseTemplate: [9], paddingFree: true }));
    expect(() => free.collate([{ inputIds: [1], weight: 2 }])).toThrow(/one example per row/);
  });
});

describe('batch size limit', () => {
  it('refuses a batch whose padding would multiply past the cell limit, before allocating it', () => {
    const layout = pad({ type: 'pad', padTokenId: 0, padToMultipleOf: 100_000 });
    const rows = Array.from({ length: 50 }, (_, i) => ({
      ids: Int32Array.of(1, 2, 3),
      labels: Int32Array.of(1, 2, 3),
      name: `r${i}`,
      truncated: false,
    }));
    expect(() => layout.build(rows)).toThrow(
      /50 rows × 100000 positions is 5000000 cells, over the limit of 4194304/,
    );
    expect(layout.build(rows.slice(0, 41)).batch.seqLen).toBe(100_000);
  });
});
