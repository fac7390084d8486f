import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestFile } from './ingest';
import { readManifest, readSplit } from './read-back';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-dataset-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, content);
  return file;
}

function jsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const pc = (prompt: string, completion: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ prompt, completion, ...extra });

// One line per error kind, a few good records, duplicates of both kinds, blank lines, CRLF.
const MALFORMED = Buffer.concat([
  Buffer.from(
    [
      '\uFEFF' + pc('What is 2+2?', ' 4', { id: 1 }), // 1 ok
      '{"prompt": "broken', // 2 not JSON
      '[1, 2, 3]', // 3 not an object
      pc('', ' x'), // 4 empty prompt
      JSON.stringify({ prompt: 'Q' }), // 5 missing completion
      JSON.stringify({ prompt: 'Q', completion: 7 }), // 6 wrong type
      '', // 7 blank
      pc('What is 2+2?', ' 4', { id: 2 }), // 8 exact duplicate of 1 (content)
      pc('What  is 2+2? ', ' 4'), // 9 duplicate of 1 after normalization
      pc('Capital of France?', ' Paris'), // 10 ok
      JSON.stringify({ prompt: 'long', completion: 'y'.repeat(300) }), // 11 too large
    ].join('\r\n') + '\r\n',
  ),
  Buffer.from([0x7b, 0x22, 0x70, 0xff, 0x22, 0x7d, 0x0a]), // 12 invalid UTF-8
  Buffer.from(pc('Colour of the sky?', ' blue') + '\n'), // 13 ok
]);

describe('ingestFile', () => {
  it('accounts for every record of a malformed file: each lands in exactly one output file', async () => {
    const out = path.join(tmp, 'malformed');
    const m = await ingestFile(write('malformed.jsonl', MALFORMED), {
      out,
      maxRecordBytes: 200,
      countTokens: (t) => t.split(/\s+/).length,
    });
    expect(m.records).toEqual({ total: 12, accepted: 3, rejected: 9, duplicates: 2 });
    expect(m.rejected).toEqual({
      'not-json': 1,
      'not-object': 1,
      'empty-field': 1,
      'missing-field': 1,
      'wrong-type': 1,
      duplicate: 2,
      'too-large': 1,
      'invalid-utf8': 1,
    });
    const rejected = jsonl(path.join(out, 'rejected.jsonl'));
    expect(rejected.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 8, 9, 11, 12]);
    expect(rejected.find((r) => r.line === 8)).toMatchObject({
      reason: 'duplicate',
      error: 'duplicate of line 1',
    });
    expect(rejected.find((r) => r.line === 9)?.error).toBe(
      'duplicate of line 1 after normalization (NFC, whitespace)',
    );
    expect(rejected.find((r) => r.line === 2)).toMatchObject({
      reason: 'not-json',
      raw: '{"prompt": "broken',
    });
    expect(rejected.find((r) => r.line === 12)).toMatchObject({
      raw: null,
      rawBase64: Buffer.from([0x7b, 0x22, 0x70, 0xff, 0x22, 0x7d]).toString('base64'),
    });
    const accepted = ['train', 'validation', 'test'].flatMap((s) => jsonl(path.join(out, `${s}.jsonl`)));
    expect(accepted.map((r) => r.prompt).sort()).toEqual([
      'Capital of France?',
      'Colour of the sky?',
      'What is 2+2?',
    ]);
    expect(accepted.find((r) => r.prompt === 'What is 2+2?')).toEqual({
      prompt: 'What is 2+2?',
      completion: ' 4',
      id: 1,
    });
    expect(accepted.length + rejected.length).toBe(m.records.total);
    expect(readManifest(out)).toEqual(m);
    expect(m.tokens).toMatchObject({ tokenizer: 'custom', records: 3, exact: true, min: 6, max: 7 });
  });

  it('writes identical files for the same input and seed, and other splits for another seed', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => pc(`question ${i}`, ` answer ${i}`)).join('\n');
    const file = write('many.jsonl', lines);
    const a = await ingestFile(file, { out: path.join(tmp, 'a'), seed: 1 });
    const b = await ingestFile(file, { out: path.join(tmp, 'b'), seed: 1 });
    const c = await ingestFile(file, { out: path.join(tmp, 'c'), seed: 2 });
    for (const f of ['train.jsonl', 'validation.jsonl', 'test.jsonl', 'manifest.json']) {
      expect(fs.readFileSync(path.join(tmp, 'b', f))).toEqual(fs.readFileSync(path.join(tmp, 'a', f)));
    }
    expect(b.contentHash).toBe(a.contentHash);
    expect(c.splits.train.sha256).not.toBe(a.splits.train.sha256);
    expect([a.splits.train.records, a.splits.validation.records, a.splits.test.records]).toEqual([
      160, 20, 20,
    ]);
    expect(a.labels).toBeNull();
  });

  it('stratifies classification data by its completion, exactly per label', async () => {
    const labels = [' positive', ' negative', ' neutral'];
    const counts = [120, 50, 30];
    const lines: string[] = [];
    labels.forEach((l, k) => {
      for (let i = 0; i < counts[k]; i++) lines.push(pc(`review ${k}-${i}`, l));
    });
    const m = await ingestFile(write('cls.jsonl', lines.join('\n')), { out: path.join(tmp, 'cls') });
    expect(m.labels).toEqual({ field: 'completion', counts: { positive: 120, negative: 50, neutral: 30 } });
    expect(m.splits.train.labels).toEqual({ positive: 96, negative: 40, neutral: 24 });
    expect(m.splits.validation.labels).toEqual({ positive: 12, negative: 5, neutral: 3 });
    expect(m.splits.test.labels).toEqual({ positive: 12, negative: 5, neutral: 3 });
    const train = [];
    for await (const r of readSplit(path.join(tmp, 'cls'), 'train')) train.push(r);
    expect(train.filter((r) => r.completion === ' neutral')).toHaveLength(24);
  });

  it('keeps a record in its split when other records are added', async () => {
    const base = Array.from({ length: 300 }, (_, i) => pc(`item ${i}`, i % 3 === 0 ? ' a' : ' b'));
    const more = Array.from({ length: 10 }, (_, i) => pc(`extra ${i}`, ' a'));
    await ingestFile(write('base.jsonl', base.join('\n')), { out: path.join(tmp, 'base') });
    await ingestFile(write('more.jsonl', [...base, ...more].join('\n')), { out: path.join(tmp, 'more') });
    const where = (dir: string) => {
      const m = new Map<string, string>();
      for (const s of ['train', 'validation', 'test'])
        for (const r of jsonl(path.join(tmp, dir, `${s}.jsonl`))) m.set(String(r.prompt), s);
      return m;
    };
    const before = where('base');
    const after = where('more');
    const moved = [...before].filter(([p, s]) => after.get(p) !== s);
    // 10 records added to label "a": at most one crossing per added record and cut point
    expect(moved.length).toBeLessThanOrEqual(20);
    expect(moved.every(([p]) => p.startsWith('item ') && Number(p.slice(5)) % 3 === 0)).toBe(true);
  });

  it('uses --label-field and warns about imbalance and empty splits', async () => {
    const lines = [
      ...Array.from({ length: 40 }, (_, i) => JSON.stringify({ text: `common ${i}`, topic: 'sport' })),
      ...Array.from({ length: 3 }, (_, i) => JSON.stringify({ text: `rare ${i}`, topic: 'art' })),
      JSON.stringify({ text: 'no topic' }),
    ];
    const m = await ingestFile(write('topics.jsonl', lines.join('\n')), {
      out: path.join(tmp, 'topics'),
      labelField: 'topic',
    });
    expect(m.records.rejected).toBe(1);
    expect(m.labels?.counts).toEqual({ sport: 40, art: 3 });
    expect(m.warnings).toContain('label imbalance: "sport" has 40 records, "art" only 3 (13.3:1)');
    expect(m.warnings.some((w) => w.startsWith('test has no records of label "art"'))).toBe(true);
  });

  it('reads CSV with mapped columns and plain text blocks', async () => {
    const csv = write('qa.csv', 'question,answer\n"Multi\nline?",yes\nShort?,no\n');
    const m = await ingestFile(csv, {
      out: path.join(tmp, 'csv'),
      columns: { prompt: 'question', completion: 'answer' },
      split: [1, 0, 0],
    });
    expect(m.source).toMatchObject({ format: 'csv', style: 'prompt-completion' });
    expect(jsonl(path.join(tmp, 'csv', 'train.jsonl'))).toEqual([
      { prompt: 'Multi\nline?', completion: 'yes' },
      { prompt: 'Short?', completion: 'no' },
    ]);
    const txt = write('notes.txt', 'block one\nstill one\n\nblock two\n');
    const t = await ingestFile(txt, { out: path.join(tmp, 'txt'), split: [1, 0, 0] });
    expect(t.source).toMatchObject({ format: 'txt', style: 'text' });
    expect(jsonl(path.join(tmp, 'txt', 'train.jsonl'))).toEqual([
      { text: 'block one\nstill one' },
      { text: 'block two' },
    ]);
  });

  it('reads chat records and rejects unknown roles and chats without an assistant turn', async () => {
    const chat = (messages: unknown[]) => JSON.stringify({ messages });
    const lines = [
      chat([
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ]),
      chat([
        { role: 'user', content: 'Hi' },
        { role: 'robot', content: 'Beep' },
      ]),
      chat([{ role: 'user', content: 'Only a question' }]),
    ];
    const m = await ingestFile(write('chat.jsonl', lines.join('\n')), {
      out: path.join(tmp, 'chat'),
      format: 'chat',
    });
    expect(m.source.style).toBe('chat');
    expect(m.rejected).toEqual({ 'unknown-role': 1, 'no-assistant-turn': 1 });
  });

  it('fails clearly when the file is unreadable, empty or wholly rejected', async () => {
    await expect(ingestFile(path.join(tmp, 'missing.jsonl'), { out: path.join(tmp, 'x') })).rejects.toThrow(
      /^cannot read .*missing\.jsonl/,
    );
    await expect(ingestFile(write('empty.jsonl', '\n\n'), { out: path.join(tmp, 'e') })).rejects.toThrow(
      'holds no records',
    );
    await expect(
      ingestFile(write('bad.jsonl', 'nope\n[]\n'), { out: path.join(tmp, 'bad') }),
    ).rejects.toThrow('every record of');
    expect(jsonl(path.join(tmp, 'bad', 'rejected.jsonl'))).toHaveLength(2);
    await expect(
      ingestFile(write('f.jsonl', '{}'), { out: path.join(tmp, 'f'), format: 'yaml' }),
    ).rejects.toThrow('--format must be one of');
  });
});
