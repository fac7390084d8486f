// A seeded generator of a sentiment-classification JSONL dataset for the ingestion benchmark:
// {"id","prompt","completion","source"} records of 200–1600 characters of review text with one of
// three labels, plus what real exports contain: ~1 % exact duplicates, ~0.5 % duplicates that differ
// only in whitespace, ~0.2 % broken lines (not JSON, missing or empty fields), ~2 % non-ASCII text
// (accents in both NFC and NFD, emoji), CRLF on some lines. Same seed and size → same bytes.
import { closeSync, openSync, writeSync } from 'node:fs';

const WORDS = (
  'the film was a and of to in it is that this with for as but on not its one movie story plot acting ' +
  'really quite very so too more most less best worst great good bad boring brilliant dull slow fast ' +
  'character characters scene scenes ending director script music camera performance cast actor actress ' +
  'funny sad dark light long short first last time years watch watched again never always would could ' +
  'should recommend nobody everyone people audience theatre screen minutes hours second half sequel ' +
  'original remake visual effects dialogue twist beautiful ugly predictable surprising loved hated'
).split(' ');
const ACCENTED = [
  'café',
  'naïve',
  'déjà vu',
  'Zoë',
  'cafe\u0301',
  'nai\u0308ve',
  'façade',
  '😀',
  '👍🏽',
  'Ångström',
];
const LABELS = [' positive', ' negative', ' neutral'];

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function review(rand: () => number, chars: number, accents: boolean): string {
  const parts: string[] = [];
  let n = 0;
  let sentence = 0;
  while (n < chars) {
    let w = WORDS[Math.floor(rand() * WORDS.length)];
    if (accents && rand() < 0.05) w = ACCENTED[Math.floor(rand() * ACCENTED.length)];
    if (sentence === 0) w = w[0].toUpperCase() + w.slice(1);
    sentence += 1;
    if (sentence > 6 && rand() < 0.15) {
      w += '.';
      sentence = 0;
    }
    parts.push(w);
    n += w.length + 1;
  }
  return parts.join(' ') + '.';
}

export interface GeneratedFile {
  bytes: number;
  lines: number;
}

/** Writes about `bytes` bytes of JSONL to `file`. */
export function generateDataset(file: string, bytes: number, seed: number): GeneratedFile {
  const rand = mulberry32(seed);
  const fd = openSync(file, 'w');
  const recent: string[] = [];
  let written = 0;
  let lines = 0;
  let chunk: string[] = [];
  let chunkLength = 0;
  while (written + chunkLength < bytes) {
    const r = rand();
    let line: string;
    if (r < 0.01 && recent.length > 0) {
      line = recent[Math.floor(rand() * recent.length)];
    } else if (r < 0.015 && recent.length > 0) {
      const o = JSON.parse(recent[Math.floor(rand() * recent.length)]) as { prompt: string };
      line = JSON.stringify({ ...o, prompt: '  ' + o.prompt.replace(/ /g, '  ') + '\n' });
    } else if (r < 0.017) {
      const broken = [
        '{"prompt": "unterminated',
        '{"prompt": "no completion"}',
        '{"prompt": "  ", "completion": " positive"}',
        '[1, 2]',
      ];
      line = broken[Math.floor(rand() * broken.length)];
    } else {
      const chars = 200 + Math.floor(rand() * rand() * 1400);
      const prompt = `Review: ${review(rand, chars, rand() < 0.02)}\nSentiment:`;
      line = JSON.stringify({
        id: lines + 1,
        prompt,
        completion: LABELS[Math.floor(rand() * rand() * 3)],
        source: 'bench',
      });
      if (recent.length < 1000) recent.push(line);
      else if (rand() < 0.01) recent[Math.floor(rand() * recent.length)] = line;
    }
    line += rand() < 0.05 ? '\r\n' : '\n';
    chunk.push(line);
    chunkLength += line.length;
    lines += 1;
    if (chunkLength > 1 << 22) {
      written += writeSync(fd, chunk.join(''));
      chunk = [];
      chunkLength = 0;
    }
  }
  written += writeSync(fd, chunk.join(''));
  closeSync(fd);
  return { bytes: written, lines };
}
