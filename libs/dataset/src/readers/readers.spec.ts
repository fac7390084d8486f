import { describe, expect, it } from 'vitest';
import { readLines } from '@ftune/common';
import { createParser } from './open';
import type { SourceRecord } from './source-record';

async function parse(
  container: 'jsonl' | 'csv' | 'txt',
  input: string | Buffer,
  opts: { maxRecordBytes?: number; columns?: Record<string, string> } = {},
) {
  const maxRecordBytes = opts.maxRecordBytes ?? 1 << 20;
  const parser = createParser(container, { maxRecordBytes, columns: opts.columns });
  async function* src() {
    yield typeof input === 'string' ? Buffer.from(input) : input;
  }
  const out: SourceRecord[] = [];
  for await (const l of readLines(src(), { strictUtf8: true, maxLineBytes: maxRecordBytes })) {
    const r = parser.push(l);
    if (r) out.push(r);
  }
  const last = parser.end();
  if (last) out.push(last);
  return out;
}

const summary = (rs: SourceRecord[]) => rs.map((r) => [r.line, r.error?.reason ?? r.value]);

describe('JSONL reader', () => {
  it('handles a BOM, CRLF and blank lines, numbering records by their line', async () => {
    const rs = await parse('jsonl', '\uFEFF{"text":"a"}\r\n\r\n  \n{"text":"b"}');
    expect(summary(rs)).toEqual([
      [1, { text: 'a' }],
      [4, { text: 'b' }],
    ]);
    expect(rs[0].raw).toBe('{"text":"a"}');
  });

  it('rejects non-JSON, non-objects, invalid UTF-8 and oversized lines', async () => {
    const input = Buffer.concat([
      Buffer.from('{"text": \n[1,2]\n"str"\nnull\n'),
      Buffer.from([0x7b, 0xff, 0x7d, 0x0a]),
      Buffer.from(`{"text":"${'x'.repeat(50)}"}\n{"text":"ok"}\n`),
    ]);
    const rs = await parse('jsonl', input, { maxRecordBytes: 40 });
    expect(summary(rs)).toEqual([
      [1, 'not-json'],
      [2, 'not-object'],
      [3, 'not-object'],
      [4, 'not-object'],
      [5, 'invalid-utf8'],
      [6, 'too-large'],
      [7, { text: 'ok' }],
    ]);
    expect(rs[1].error?.message).toBe('not an object: array');
    expect(Array.from(rs[4].rawBytes ?? [])).toEqual([0x7b, 0xff, 0x7d]);
    expect(rs[5].error?.message).toMatch(/^record is 61 bytes, over --max-record-bytes 40/);
    expect(rs[5].raw.length).toBe(40);
  });
});

describe('CSV reader', () => {
  it('parses RFC 4180 quoting, newlines inside quotes, CRLF and a BOM', async () => {
    const csv =
      '\uFEFFprompt,completion\r\n"Say ""hi""",hello\r\n"two\r\nlines","a, b"\r\n\r\nplain,  spaced \r\n';
    const rs = await parse('csv', csv);
    expect(summary(rs)).toEqual([
      [2, { prompt: 'Say "hi"', completion: 'hello' }],
      [3, { prompt: 'two\nlines', completion: 'a, b' }],
      [6, { prompt: 'plain', completion: '  spaced ' }],
    ]);
  });

  it('maps columns to fields and keeps the other columns', async () => {
    const rs = await parse('csv', 'question,answer,id\nQ1,A1,7\n', {
      columns: { prompt: 'question', completion: 'answer' },
    });
    expect(rs[0].value).toEqual({ prompt: 'Q1', completion: 'A1', id: '7' });
  });

  it('rejects malformed records with their line and keeps going', async () => {
    const csv = 'a,b\n1,2,3\nx"y,z\n"q"w,e\n"ok",fine\n"open,never closed\nmore\n';
    const rs = await parse('csv', csv);
    expect(summary(rs)).toEqual([
      [2, 'malformed-csv'],
      [3, 'malformed-csv'],
      [4, 'malformed-csv'],
      [5, { a: 'ok', b: 'fine' }],
      [6, 'malformed-csv'],
    ]);
    expect(rs[0].error?.message).toBe('has 3 fields, the header has 2');
    expect(rs[4].error?.message).toBe('unterminated quoted field at end of file');
    expect(rs[4].raw).toBe('"open,never closed\nmore');
  });

  it('refuses a mapping to a column the header does not have', async () => {
    await expect(parse('csv', 'a,b\n1,2\n', { columns: { prompt: 'question' } })).rejects.toThrow(
      'CSV has no column "question"',
    );
  });
});

describe('plain-text reader', () => {
  it('makes one record per blank-line-separated block', async () => {
    const rs = await parse('txt', '\uFEFFfirst line\r\nsecond line\r\n\r\n \t\n\nnext block\n\n\nlast');
    expect(summary(rs)).toEqual([
      [1, { text: 'first line\nsecond line' }],
      [6, { text: 'next block' }],
      [9, { text: 'last' }],
    ]);
  });

  it('rejects blocks over the size limit or with invalid UTF-8', async () => {
    const input = Buffer.concat([Buffer.from('aaaa\nbbbb\n\nok\n\n'), Buffer.from([0xc3, 0x28, 0x0a])]);
    const rs = await parse('txt', input, { maxRecordBytes: 6 });
    expect(summary(rs)).toEqual([
      [1, 'too-large'],
      [4, { text: 'ok' }],
      [6, 'invalid-utf8'],
    ]);
  });
});
