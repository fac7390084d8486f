import { describe, expect, it } from 'vitest';
import { labelForms } from './evaluate-job';

describe('labelForms', () => {
  it('spells given labels as the completions spell them', () => {
    const ex = [' positive', ' negative'].map((completion) => ({ prompt: 'p', completion }));
    expect(labelForms(['positive', ' negative ', 'neutral'], ex)).toEqual([
      ' positive',
      ' negative',
      ' neutral',
    ]);
    expect(labelForms(['yes'], [{ prompt: 'p', completion: 'no' }])).toEqual(['yes']);
  });
});
