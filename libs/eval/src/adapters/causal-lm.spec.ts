import '@tensorflow/tfjs-backend-cpu';
import { createModel, IGNORE_INDEX } from '@ftune/model-gpt-neo';
import { loadTokenizer } from '@ftune/tokenizer';
import { afterAll, describe, expect, it } from 'vitest';
import { predictLabel } from '../scoring/label-scoring';
import { scoreCompletions } from '../scoring/scorer';
import { causalLmEvalModel, causalLmGenerator, causalLmScorer, cutAtStop, splitTokens } from './causal-lm';

const model = createModel('tiny', 7);
const tokenizer = loadTokenizer('gpt2');
afterAll(() => model.dispose());

/** The model's own per-token log-probabilities for prompt + completion with the prompt masked out. */
function modelLogProbs(prompt: string, completion: string): number[] {
  const { ids, start } = splitTokens(tokenizer, prompt, completion);
  const labels = Int32Array.from(ids, (id, t) => (t < start ? IGNORE_INDEX : id));
  const lp = model.tokenLogProbs({
    batchSize: 1,
    seqLen: ids.length,
    inputIds: Int32Array.from(ids),
    attentionMask: new Int32Array(ids.length).fill(1),
    labels,
  });
  return Array.from(lp.subarray(start));
}

describe('causalLmScorer', () => {
  const scorer = causalLmScorer(model, tokenizer);
  const prompt = 'Review: the plot drags.\n### Answer:';

  it('gives each completion token the log-probability the model computes, in padded batches', async () => {
    const completions = [' negative', ' positive and long winded', ' neutral'];
    const scores = await scorer.score(completions.map((completion) => ({ prompt, completion })));
    completions.forEach((c, i) => {
      const expected = modelLogProbs(prompt, c);
      expect(scores[i].logProbs).toHaveLength(expected.length);
      scores[i].logProbs.forEach((lp, k) => expect(lp).toBeCloseTo(expected[k], 4));
      expect(scores[i].promptTokens).toBe(tokenizer.encodeIds(prompt).length);
    });
  });

  it('predicts the label the model finds most likely', async () => {
    const labels = [' negative', ' positive'];
    const ll = await scoreCompletions(scorer, prompt, labels);
    const direct = labels.map((l) => modelLogProbs(prompt, l).reduce((a, b) => a + b, 0));
    ll.forEach((v, i) => expect(v).toBeCloseTo(direct[i], 4));
    expect(predictLabel(ll, labels).index).toBe(direct[0] >= direct[1] ? 0 : 1);
  });

  it('scores single-token candidates after one prompt from one shared row', async () => {
    const rows: number[] = [];
    const spy = {
      config: model.config,
      logitsAt: (b: Parameters<typeof model.logitsAt>[0], positions: Int32Array) => (
        rows.push(b.batchSize), model.logitsAt(b, positions)
      ),
      generate: () => [],
    };
    const labels = [' negative', ' positive'];
    const shared = await causalLmScorer(spy, tokenizer).score(
      labels.map((completion) => ({ prompt, completion })),
    );
    expect(rows).toEqual([1]);
    labels.forEach((l, i) => expect(shared[i].logProbs[0]).toBeCloseTo(modelLogProbs(prompt, l)[0], 4));
  });

  it('counts argmax hits as the model’s loss terms do', async () => {
    const [s] = await scorer.score([{ prompt, completion: ' negative, surely' }]);
    const { ids, start } = splitTokens(tokenizer, prompt, ' negative, surely');
    const labels = Int32Array.from(ids, (id, t) => (t < start ? IGNORE_INDEX : id));
    const terms = model.lossTerms({
      batchSize: 1,
      seqLen: ids.length,
      inputIds: Int32Array.from(ids),
      attentionMask: new Int32Array(ids.length).fill(1),
      labels,
    });
    expect(s.correct.filter(Boolean).length).toBe(terms.correct.dataSync()[0]);
    expect(s.correct).toHaveLength(terms.tokens.dataSync()[0]);
  });

  it('starts the completion at the first token that reaches past the prompt', () => {
    // "Hello " + "world": GPT-2 merges the space into " world"
    const { ids, start } = splitTokens(tokenizer, 'Hello ', 'world');
    expect(tokenizer.decode(ids.slice(start))).toBe(' world');
    expect(splitTokens(tokenizer, '', 'a b').start).toBe(0);
  });
});

describe('causalLmGenerator', () => {
  it('decodes the model’s greedy continuation and cuts it at a stop sequence', async () => {
    const generator = causalLmGenerator(model, tokenizer, { stopSequences: [] });
    const ids = tokenizer.encodeIds('Once upon a time');
    const expected = tokenizer.decode(
      model.generate(ids, { maxNewTokens: 6, eosTokenId: tokenizer.eosTokenId }),
      { skipSpecialTokens: true },
    );
    expect(await generator.generate('Once upon a time', { maxNewTokens: 6 })).toBe(expected);
    expect(cutAtStop('positive\n### Answer: no', ['\n###'])).toBe('positive');
  });

  it('tells whether the model ended the text itself (EOS) or ran to the token limit', async () => {
    const prompt = tokenizer.encodeIds('Once upon a time');
    const plain = model.generate(prompt, { maxNewTokens: 6, eosTokenId: null });
    const withEos = (eosTokenId: number) =>
      causalLmGenerator(model, Object.create(tokenizer, { eosTokenId: { value: eosTokenId } }), {
        stopSequences: [],
      });
    // the first generated token taken as EOS: the model stops at once
    const ended = await withEos(plain[0]).generateWithEnd?.('Once upon a time', { maxNewTokens: 6 });
    expect(ended).toEqual({ text: '', stopped: true });
    // an EOS the model never writes here: it runs to maxNewTokens
    let unused = 0;
    while (plain.includes(unused)) unused += 1;
    const ran = await withEos(unused).generateWithEnd?.('Once upon a time', { maxNewTokens: 6 });
    expect(ran?.stopped).toBe(false);
    expect(ran?.text).toBe(tokenizer.decode(plain, { skipSpecialTokens: true }));
  });

  it('repeats a seeded sample', async () => {
    const generator = causalLmGenerator(model, tokenizer);
    const o = { maxNewTokens: 5, temperature: 0.9, topK: 50, topP: 0.95, seed: 3 };
    expect(await generator.generate('A', o)).toBe(await generator.generate('A', o));
  });
});

describe('causalLmEvalModel', () => {
  it('refuses a tokenizer with more ids than the model embeds', () => {
    const small = {
      ...tokenizer,
      vocabSize: 60000,
      eosTokenId: 50256,
      encodeIds: tokenizer.encodeIds.bind(tokenizer),
      encode: tokenizer.encode.bind(tokenizer),
      decode: tokenizer.decode.bind(tokenizer),
    };
    expect(() => causalLmEvalModel('m', model, small)).toThrow(
      /tokenizer has 60000 tokens but the model's vocabulary is 50257/,
    );
  });
});
