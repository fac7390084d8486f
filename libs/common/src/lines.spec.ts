import { describe, expect, it } from 'vitest';
import { readLines } from './lines';

async function collect(chunks: (string | Uint8Array)[], strictUtf8 = false) {
  async function* src() {
    for (const c of chunks) yield c;
  }
  const out = [];
  for await (const l of readLines(src(), { strictUtf8 })) out.push(l);
  return out;
}

describe('readLines', () => {
  it('numbers lines from 1, strips CRLF and keeps a last line without newline', async () => {
    const lines = await collect(['a\r\nb', 'c\n\nd']);
    expect(lines.map((l) => [l.number, l.text])).toEqual([
      [1, 'a'],
      [2, 'bc'],
      [3, ''],
      [4, 'd'],
    ]);
  });

  it('joins a multi-byte character split across chunks', async () => {
    const bytes = Buffer.from('é\n', 'utf8');
    const lines = await collect([bytes.subarray(0, 1), bytes.subarray(1)]);
    expect(lines[0].text).toBe('é');
  });

  it('flags invalid UTF-8 per line when strict', async () => {
    const lines = await collect([Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a])], true);
    expect(lines[0].invalidUtf8).toBe(true);
    expect(lines[1]).toMatchObject({ text: 'b', number: 2 });
    expect(lines[1].invalidUtf8).toBeUndefined();
  });
});
