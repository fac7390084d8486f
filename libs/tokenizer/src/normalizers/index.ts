// Normalizers: text → text, keeping for each UTF-16 unit of the result the range it came from.
// Supported: Unicode forms (NFC, NFD, NFKC, NFKD), Lowercase, Sequence. GPT-2 has none.
// A form is applied per code point with its following combining marks (so Hangul jamo sequences are not
// composed), each output character aligned to an input character as tokenizers does.

export type NormalizerConfig =
  | { type: 'NFC' }
  | { type: 'NFD' }
  | { type: 'NFKC' }
  | { type: 'NFKD' }
  | { type: 'Lowercase' }
  | { type: 'Sequence'; normalizers: NormalizerConfig[] };

/** Normalized text; `starts[k]`/`ends[k]` is the original range of the result's UTF-16 unit k. */
export interface NormalizedText {
  text: string;
  starts: Int32Array;
  ends: Int32Array;
}

export interface Normalizer {
  readonly config: NormalizerConfig;
  normalize(input: NormalizedText): NormalizedText;
}

export function identity(text: string): NormalizedText {
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let i = 0; i < text.length; i++) {
    starts[i] = i;
    ends[i] = i + 1;
  }
  return { text, starts, ends };
}

const CLUSTER = /\P{M}\p{M}*|\p{M}+/gsu;

/** Original ranges of the code points of input.text[from, to). */
function codePointRanges(input: NormalizedText, from: number, to: number): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (let i = from; i < to;) {
    const width = (input.text.codePointAt(i) as number) > 0xffff ? 2 : 1;
    ranges.push([input.starts[i], input.ends[i + width - 1]]);
    i += width;
  }
  return ranges;
}

/**
 * Applies `f` to each cluster (a code point and its combining marks). As tokenizers' NormalizedString
 * aligns a transformation, output code point k takes the range of input code point k, and output beyond
 * the input's length (an expansion) the range of the last one.
 */
function mapClusters(input: NormalizedText, f: (s: string) => string): NormalizedText {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of input.text.matchAll(CLUSTER)) {
    const ranges = codePointRanges(input, m.index, m.index + m[0].length);
    const out = f(m[0]);
    text += out;
    let k = 0;
    for (const ch of out) {
      const [from, to] = ranges[Math.min(k++, ranges.length - 1)];
      for (let unit = 0; unit < ch.length; unit++) {
        starts.push(from);
        ends.push(to);
      }
    }
  }
  return { text, starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}

export function normalizerFromConfig(config: NormalizerConfig): Normalizer {
  switch (config.type) {
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = config.type;
      return { config, normalize: (t) => mapClusters(t, (s) => s.normalize(form)) };
    }
    case 'Lowercase':
      return { config, normalize: (t) => mapClusters(t, (s) => s.toLowerCase()) };
    case 'Sequence': {
      const steps = config.normalizers.map(normalizerFromConfig);
      return { config, normalize: (t) => steps.reduce((acc, step) => step.normalize(acc), t) };
    }
    default:
      throw new Error(`Unsupported normalizer: ${JSON.stringify(config)}`);
  }
}
