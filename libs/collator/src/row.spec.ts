import { describe, expect, it } from 'vitest';
import { batchToJson } from './batch';
import { fromConfig } from './collator';
import { languageModelingConfig } from './presets';

describe('train mask (assistant tokens only)', () => {
  it('ignores the tokens outside the mask, then truncates and pads as usual', () => {
    const collator = fromConfig(
      languageModelingConfig({ maxLength: 5, padToMultipleOf: null, padTokenId: 0 }),
    );
    const { batch } = collator.collate([
      { inputIds: [11, 12, 13, 14, 15, 16], trainMask: [0, 0, 1, 1, 0, 1] },
      { inputIds: [21, 22, 23], trainMask: [1, 0, 1] },
      { inputIds: [31, 32] },
    ]);
    expect(batchToJson(batch).labels).toEqual([
      [-100, -100, 13, 14, -100],
      [21, -100, 23, -100, -100],
      [31, 32, -100, -100, -100],
    ]);
  });

  it('keeps the masked tokens as inputs: only the labels change', () => {
    const { batch } = fromConfig(languageModelingConfig({ padToMultipleOf: null })).collate([
      { inputIds: [5, 6, 7], trainMask: [0, 0, 0] },
    ]);
    expect(Array.from(batch.inputIds)).toEqual([5, 6, 7]);
    expect(Array.from(batch.labels)).toEqual([-100, -100, -100]);
  });

  it('refuses a mask whose length differs from the ids, naming the example', () => {
    const collator = fromConfig(languageModelingConfig());
    expect(() =>
      collator.collate([{ inputIds: [1, 2, 3], trainMask: [1, 1], name: 'train.jsonl record 4' }]),
    ).toThrow(/train.jsonl record 4: trainMask has 2 entries for 3 tokens/);
  });
});
