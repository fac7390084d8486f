import { describe, expect, it } from 'vitest';
import { collateTexts, EOS } from '../testing';

const ANSWER = '### Answer:';
const TEXTS = [
  `Q: 2+2?\n${ANSWER} 4${EOS}`,
  `Q: hi\n${ANSWER} hello there${EOS}`,
  `Q: 1\n${ANSWER} 1`,
  `Q: long one, really quite long\n${ANSWER} yes`,
];

describe('packLength: several examples per row without crossing', () => {
  it('pitfall: padding every row to the longest wastes the batch', () => {
    const padded = collateTexts(TEXTS, { responseTemplate: ANSWER });
    const real = padded.json.attention_mask.flat().filter((m) => m === 1).length;
    expect(padded.batch.batchSize * padded.batch.seqLen).toBe(64);
    expect(real / 64).toBeLessThan(0.7);
  });

  it('pitfall: flattening the batch (trl padding_free) puts every example in one row with nothing but position ids to separate them', () => {
    const flat = collateTexts(TEXTS, { responseTemplate: ANSWER, paddingFree: true });
    expect(flat.batch.batchSize).toBe(1);
    expect(flat.json.position_ids[0].filter((p) => p === 0)).toHaveLength(4);
  });

  it('cure: rows filled in order, each token tagged with its example and position', () => {
    const packed = collateTexts(TEXTS, { responseTemplate: ANSWER, packLength: 24 });
    expect(packed.examples).toEqual([
      ['line 1', 'line 2'],
      ['line 3', 'line 4'],
    ]);
    expect(packed.batch.batchSize).toBe(2);
    const [seg0] = packed.json.segment_ids;
    const [pos0] = packed.json.position_ids;
    expect(seg0.slice(0, 23)).toEqual([...Array(12).fill(0), ...Array(10).fill(1), -1]);
    expect(pos0.slice(10, 15)).toEqual([10, 11, 0, 1, 2]);
    expect(packed.json.attention_mask[0].slice(20, 24)).toEqual([1, 1, 0, 0]);
  });

  it('trains exactly the tokens the examples train one per row, never a token of the next example from the previous one', () => {
    const single = collateTexts(TEXTS, { responseTemplate: ANSWER, keepEos: true });
    const packed = collateTexts(TEXTS, { responseTemplate: ANSWER, keepEos: true, packLength: 24 });
    const trained = (rows: number[][]) => rows.flat().filter((l) => l !== -100);
    expect(trained(packed.json.labels)).toEqual(trained(single.json.labels));
    // each example's first label is ignored: it would be predicted from the previous example
    const starts = packed.json.position_ids.flatMap((row, b) =>
      row.map((p, t) => [p, b, t]).filter(([p, , t]) => p === 0 && packed.json.attention_mask[b][t] === 1),
    );
    for (const [, b, t] of starts) expect(packed.json.labels[b][t]).toBe(-100);
  });

  it('truncates examples longer than a packed row', () => {
    const packed = collateTexts([`Q: ${'word '.repeat(40)}\n${ANSWER} x`], {
      responseTemplate: ANSWER,
      packLength: 16,
    });
    expect(packed.batch.seqLen).toBe(16);
  });
});
