// Reads the golden fixtures written by tools/golden/collator.py (trl 0.19.1 + transformers 4.53.2).
// Used by the specs and the benchmark; the fixtures themselves are committed under libs/collator/fixtures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GoldenCase {
  name: string;
  kind: 'completion-only' | 'language-modeling';
  texts: string[];
  /** HF ids of each text before truncation. */
  ids: number[][];
  maxLength: number | null;
  padToMultipleOf: number | null;
  response?: string | number[];
  responseIds?: number[];
  instruction?: string | number[] | null;
  instructionIds?: number[] | null;
  ignoreIndex?: number;
  paddingFree?: boolean;
  /** The collator's output, keys as trl returns them. */
  expected: Record<string, number[][] | number[]>;
  /** Which template each warning was about, in order. */
  warnings: Array<'response' | 'instruction'>;
}

export interface GoldenCliCase {
  name: string;
  args: string[];
  texts: string[];
  batches: Array<Record<string, number[][] | number[]>>;
}

const FIXTURES = join(__dirname, '..', 'fixtures');

export function goldenCases(): GoldenCase[] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'completion-only.json'), 'utf8')) as { cases: GoldenCase[] })
    .cases;
}

/** Held out: only the CLI end-to-end test may read these. */
export function goldenCliCases(): GoldenCliCase[] {
  return (JSON.parse(readFileSync(join(FIXTURES, 'cli-holdout.json'), 'utf8')) as { cases: GoldenCliCase[] })
    .cases;
}
