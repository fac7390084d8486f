// A seeded generator of mixed English prose and source code as JSONL {"text"} lines, for the
// tokenizer benchmark. Deterministic for a seed; identifiers and numbers vary, so the BPE cache
// sees both repeated and new words, as real data does.
import { SeededRandom } from '@ftune/common';

const WORDS = (
  'the of and to in is was for on that with as by at from his her it an are were be this which or ' +
  'have has had not but all one their they there been would when who will more no if out so said what ' +
  'up its about into than them can only other new some could time these two may then do first any my ' +
  'now such like our over man me even most made after also did many before must through back years ' +
  'where much your way well down should because each just those people how too little state good very ' +
  'make world still own see men work long get here between both life being under never day same another ' +
  'know while last might us great old year off come since against go came right used take three model ' +
  'training data tokenizer learning network value function results experiment dataset language system'
).split(' ');
const NAMES = [
  'Alice',
  'Bob',
  'London',
  'Paris',
  'March',
  'Monday',
  'Python',
  'GitHub',
  'Europe',
  'Dr. Smith',
];
const SYLLABLES = [
  'get',
  'set',
  'data',
  'item',
  'count',
  'user',
  'name',
  'val',
  'idx',
  'buf',
  'tmp',
  'node',
  'load',
  'parse',
  'row',
  'max',
  'min',
  'key',
];

export function generateCorpus(seed: number, targetBytes: number): string {
  const random = new SeededRandom(seed);
  const rnd = () => random.next();
  const int = (n: number) => random.int(n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
  const ident = (camel: boolean) => {
    const parts = Array.from({ length: 1 + int(3) }, () => pick(SYLLABLES));
    return camel ? parts.map((p, i) => (i ? p[0].toUpperCase() + p.slice(1) : p)).join('') : parts.join('_');
  };
  const sentence = () => {
    const words = Array.from({ length: 5 + int(20) }, () =>
      rnd() < 0.08 ? pick(NAMES) : rnd() < 0.05 ? String(int(10000)) : pick(WORDS),
    );
    words[0] = words[0][0].toUpperCase() + words[0].slice(1);
    if (rnd() < 0.2)
      words.splice(1 + int(words.length - 1), 0, pick(["don't", "it's", "we're", "they've", "I'm"]));
    return (
      words.join(' ').replace(/ (\w+) /, (m) => (rnd() < 0.3 ? m.trimEnd() + ', ' : m)) +
      pick(['.', '.', '.', '?', '!', ':'])
    );
  };
  const prose = () => Array.from({ length: 2 + int(6) }, sentence).join(' ');
  const python = () => {
    const f = ident(false);
    const a = ident(false);
    return (
      `def ${f}(${a}, limit=${int(100)}):\n    """${sentence()}"""\n    result = []\n` +
      `    for i in range(len(${a})):\n        if ${a}[i] > ${int(50)}:\n            result.append(${a}[i] * ${(rnd() * 10).toFixed(2)})\n` +
      `    return result  # ${pick(WORDS)} ${pick(WORDS)}\n`
    );
  };
  const js = () => {
    const f = ident(true);
    const a = ident(true);
    return (
      `export function ${f}(${a}: number[]): number {\n  let total = 0;\n  for (let i = 0; i < ${a}.length; i++) {\n` +
      `    total += ${a}[i] * ${int(1000)};\n  }\n  // ${sentence()}\n  return total / ${a}.length;\n}\n`
    );
  };
  const lines: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    const parts = Array.from({ length: 1 + int(4) }, () =>
      rnd() < 0.6 ? prose() : rnd() < 0.5 ? python() : js(),
    );
    const line = JSON.stringify({ text: parts.join('\n\n') }) + '\n';
    lines.push(line);
    bytes += Buffer.byteLength(line);
  }
  return lines.join('');
}
