// manifest.json: what an ingestion produced, for people and for the next pipeline stages.
// It holds no timestamps or absolute paths, so the same input and options give the same bytes.
import type { RecordStyle, RejectReason } from '../records/record';
import type { SplitName } from '../split/split';
import type { TokenLengthSummary } from '../stats/token-stats';
import type { Container } from '../readers/open';

export interface SplitSummary {
  records: number;
  /** Records per label (only when stratified by label). */
  labels?: Record<string, number>;
  /** SHA-256 of the split file. */
  sha256: string;
}

export interface Manifest {
  version: 1;
  source: { file: string; bytes: number; format: Container; style: RecordStyle | null };
  options: {
    split: number[];
    seed: number;
    labelField: string | null;
    maxLength: number;
    maxRecordBytes: number;
  };
  records: { total: number; accepted: number; rejected: number; duplicates: number };
  splits: Record<SplitName, SplitSummary>;
  /** Label counts over all accepted records; `field` says where labels came from. Null when not stratified. */
  labels: { field: string; counts: Record<string, number> } | null;
  /** Rejected records by reason (duplicates included). */
  rejected: Partial<Record<RejectReason, number>>;
  /** Token lengths of the training texts (`recordToText`) of accepted records; null without a tokenizer. */
  tokens: (TokenLengthSummary & { tokenizer: string }) | null;
  warnings: string[];
  /** SHA-256 over "train <sha>\nvalidation <sha>\ntest <sha>\n": identifies the dataset's content. */
  contentHash: string;
}

/** Imbalance and coverage warnings for labelled data. */
export function labelWarnings(
  counts: Record<string, number>,
  splits: Record<SplitName, SplitSummary>,
  ratios: readonly number[],
): string[] {
  const warnings: string[] = [];
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length >= 2) {
    const [topName, top] = entries[0];
    const [lowName, low] = entries[entries.length - 1];
    if (top >= 10 * low) {
      warnings.push(
        `label imbalance: "${topName}" has ${top} records, "${lowName}" only ${low} (${(top / low).toFixed(1)}:1)`,
      );
    }
  }
  (['validation', 'test'] as const).forEach((split, k) => {
    if (ratios[k + 1] === 0) return;
    const missing = entries
      .filter(([name]) => (splits[split].labels?.[name] ?? 0) === 0)
      .map(([name]) => `"${name}"`);
    if (missing.length > 0)
      warnings.push(`${split} has no records of label ${missing.join(', ')} (too few records to split)`);
  });
  return warnings;
}
