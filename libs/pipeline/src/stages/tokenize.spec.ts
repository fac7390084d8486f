// The tokenize stage with a chat template: records are rendered and masked as the train job does,
// so the summary's tokens in the loss are the assistant turns.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { loadTokenizer } from '@ftune/tokenizer';
import { normalizeRunConfig } from '../config';
import { runConfigPath } from './common';
import { tokenizeStage, type TokenizeSummary } from './tokenize';

const CHATML = join(
  __dirname,
  '..',
  '..',
  '..',
  'dataset',
  'fixtures',
  'chat-templates',
  'tokenizers',
  'chatml',
);

async function summaryFor(tokenizer: string): Promise<TokenizeSummary> {
  const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-tokenize-stage-')));
  const cfg = normalizeRunConfig({ dataset: { path: 'x.jsonl' }, model: { preset: 'tiny' }, tokenizer }, '/');
  store.writeJson(runConfigPath('r'), cfg);
  const data = store.ensureDir('runs/r/ingest');
  const record = {
    messages: [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ],
  };
  writeFileSync(join(data, 'train.jsonl'), `${JSON.stringify(record)}\n`);
  for (const f of ['validation.jsonl', 'test.jsonl']) writeFileSync(join(data, f), '');
  const split = (records: number) => ({ records, sha256: '' });
  writeFileSync(
    join(data, 'manifest.json'),
    JSON.stringify({ version: 1, splits: { train: split(1), validation: split(0), test: split(0) } }),
  );
  mkdirSync(store.path('runs/r/tokenize'), { recursive: true });
  const counts = { train: 1, validation: 0, test: 0, rejected: 0 };
  await tokenizeStage.handle(
    { ...newEnvelope('r'), datasetDir: 'runs/r/ingest', datasetHash: 'h', counts },
    { store, log: () => undefined },
  );
  return store.tryReadJson<TokenizeSummary>('runs/r/tokenize/summary.json')!;
}

describe('tokenize stage', () => {
  it("counts the chat template's assistant turns as the tokens in the loss", async () => {
    const s = await summaryFor(CHATML);
    expect(s.chatTemplate).toBe(`${CHATML}/tokenizer_config.json`);
    expect(s.responseTemplate).toBeNull();
    const tokenizer = loadTokenizer(CHATML);
    expect(s.splits.train.tokens).toBe(
      tokenizer.encodeIds('<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n').length,
    );
    expect(s.splits.train.trainableTokens).toBe(tokenizer.encodeIds('Hello!<|im_end|>').length);
  });

  it('keeps the dataset template for a tokenizer without one', async () => {
    const s = await summaryFor('gpt2');
    expect(s.chatTemplate).toBeUndefined();
    expect(s.responseTemplate).toBe('### Assistant:');
  });
});
