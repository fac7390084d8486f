// Dataset audit (before training): how often each group is mentioned, overall and per label; the
// label distribution conditional on the group; for each dimension a chi-square test of group ×
// label independence (records mentioning exactly one group of that dimension), the largest gaps in
// label share between groups, and a few examples to look at.
import { chiSquareTest, type ChiSquare } from './metrics/stats';
import type { TermMatcher } from './terms/match';

export interface AuditRecord {
  /** Text searched for group terms (prompt and completion input, not the label). */
  text: string;
  /** The label of classification-style data, if any. */
  label?: string;
  /** Where the record came from (line number or id), for the examples. */
  ref?: string | number;
}

export interface LabelGap {
  label: string;
  high: { group: string; share: number; count: number; total: number };
  low: { group: string; share: number; count: number; total: number };
  gap: number;
}

export interface DimensionAudit {
  dimension: string;
  /** Records mentioning each group (a record can mention several). */
  mentions: Record<string, number>;
  /** group → label → count, over records mentioning only that group of this dimension. */
  labelCounts: Record<string, Record<string, number>>;
  /** group → label → share of that group's records. */
  labelShares: Record<string, Record<string, number>>;
  test: ChiSquare | null;
  gaps: LabelGap[];
  examples: Array<{ group: string; label?: string; ref?: string | number; text: string }>;
}

export interface DatasetAudit {
  records: number;
  labels: Record<string, number>;
  dimensions: DimensionAudit[];
}

export function auditDataset(
  records: Iterable<AuditRecord>,
  matcher: TermMatcher,
  options: { examplesPerGroup?: number } = {},
): DatasetAudit {
  const perGroupExamples = options.examplesPerGroup ?? 3;
  const labels: Record<string, number> = {};
  const dims = new Map<string, DimensionAudit>();
  for (const d of matcher.lists.dimensions) {
    dims.set(d.name, {
      dimension: d.name,
      mentions: {},
      labelCounts: {},
      labelShares: {},
      test: null,
      gaps: [],
      examples: [],
    });
  }
  let n = 0;
  for (const r of records) {
    n += 1;
    if (r.label !== undefined) labels[r.label] = (labels[r.label] ?? 0) + 1;
    for (const [dimension, groups] of matcher.groupsMentioned(r.text)) {
      const d = dims.get(dimension);
      if (!d) continue;
      for (const g of groups) d.mentions[g] = (d.mentions[g] ?? 0) + 1;
      if (groups.size !== 1) continue;
      const [g] = groups;
      if (r.label !== undefined) {
        const row = (d.labelCounts[g] ??= {});
        row[r.label] = (row[r.label] ?? 0) + 1;
      }
      if (d.examples.filter((e) => e.group === g && e.label === r.label).length < perGroupExamples) {
        d.examples.push({ group: g, label: r.label, ref: r.ref, text: r.text });
      }
    }
  }
  const labelNames = Object.keys(labels).sort();
  for (const d of dims.values()) {
    const groups = Object.keys(d.labelCounts).sort();
    for (const g of groups) {
      const total = Object.values(d.labelCounts[g]).reduce((a, b) => a + b, 0);
      d.labelShares[g] = Object.fromEntries(labelNames.map((l) => [l, (d.labelCounts[g][l] ?? 0) / total]));
    }
    if (groups.length >= 2 && labelNames.length >= 2) {
      d.test = chiSquareTest(groups.map((g) => labelNames.map((l) => d.labelCounts[g][l] ?? 0)));
      for (const l of labelNames) {
        const cells = groups.map((g) => {
          const total = Object.values(d.labelCounts[g]).reduce((a, b) => a + b, 0);
          return { group: g, share: d.labelShares[g][l], count: d.labelCounts[g][l] ?? 0, total };
        });
        cells.sort((a, b) => b.share - a.share);
        const high = cells[0];
        const low = cells[cells.length - 1];
        d.gaps.push({ label: l, high, low, gap: high.share - low.share });
      }
      d.gaps.sort((a, b) => b.gap - a.gap);
    }
  }
  return {
    records: n,
    labels,
    dimensions: [...dims.values()].filter((d) => Object.keys(d.mentions).length > 0),
  };
}
