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

describe('readLines with maxLineBytes', () => {
  async function lines(chunks: (string | Uint8Array)[], maxLineBytes: number) {
    async function* src() {
      for (const c of chunks) yield c;
    }
    const out = [];
    for await (const l of readLines(src(), { strictUtf8: true, maxLineBytes })) out.push(l);
    return out;
  }

  it('cuts a long line, counts its full length and keeps the next lines intact', async () => {
    for (const chunks of [['abcdefgh\r\nxy\n'], ['abc', 'def', 'gh\r', '\nxy\n'], ['abcdefgh\r\nxy']]) {
      const out = await lines(chunks, 4);
      expect(out.map((l) => [l.number, l.text, l.byteLength, l.truncated === true])).toEqual([
        [1, 'abcd', 8, true],
        [2, 'xy', 2, false],
      ]);
    }
  });

  it('does not flag a line whose body fits exactly even with a CR', async () => {
    const out = await lines(['ab', 'cd\r\n'], 4);
    expect(out[0]).toMatchObject({ text: 'abcd', byteLength: 4 });
    expect(out[0].truncated).toBeUndefined();
  });

  it('returns the raw bytes of an invalid line', async () => {
    const out = await lines([Buffer.from([0x7b, 0xc3, 0x28, 0x0a])], 100);
    expect(out[0].invalidUtf8).toBe(true);
    expect(Array.from(out[0].bytes ?? [])).toEqual([0x7b, 0xc3, 0x28]);
  });

  it('numbers lines the same on the fast and the slow path', async () => {
    const text = 'é1\nb2\r\n\nlast';
    const whole = await lines([text], 100);
    const bytes = Buffer.from(text);
    const split = await lines(
      Array.from(bytes, (b) => Buffer.from([b])),
      100,
    );
    expect(split.map((l) => [l.number, l.text, l.byteLength])).toEqual(
      whole.map((l) => [l.number, l.text, l.byteLength]),
    );
    expect(whole.map((l) => l.text)).toEqual(['é1', 'b2', '', 'last']);
    expect(whole[0].byteLength).toBe(3);
  });
});
