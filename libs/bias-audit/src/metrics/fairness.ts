// Group fairness of classification-style predictions, with Fairlearn's definitions:
// selection (positive-prediction) rate per group, demographic parity difference (max − min of the
// selection rates), equalized-odds difference (worst case of the TPR and FPR gaps), and the
// disparate impact ratio (min / max selection rate; the "80% rule" compares it with 0.8).

export interface LabeledPrediction {
  group: string;
  label: string;
  predicted: string;
}

export interface GroupStats {
  group: string;
  count: number;
  accuracy: number;
  positiveRate: number;
  truePositiveRate: number | null;
  falsePositiveRate: number | null;
}

export interface GroupFairness {
  positiveLabel: string;
  groups: GroupStats[];
  demographicParityDifference: number;
  equalizedOddsDifference: number;
  disparateImpactRatio: number;
  accuracyGap: number;
}

const rate = (num: number, den: number): number | null => (den === 0 ? null : num / den);
const spread = (xs: Array<number | null>) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length < 2 ? 0 : Math.max(...v) - Math.min(...v);
};

/** Per-group rates and the gaps between groups; `positiveLabel` is the favourable outcome. */
export function groupFairness(rows: LabeledPrediction[], positiveLabel: string): GroupFairness {
  const byGroup = new Map<string, LabeledPrediction[]>();
  for (const r of rows) byGroup.set(r.group, [...(byGroup.get(r.group) ?? []), r]);
  const groups: GroupStats[] = [...byGroup.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, rs]) => {
      const pos = rs.filter((r) => r.label === positiveLabel);
      const neg = rs.filter((r) => r.label !== positiveLabel);
      return {
        group,
        count: rs.length,
        accuracy: rs.filter((r) => r.label === r.predicted).length / rs.length,
        positiveRate: rs.filter((r) => r.predicted === positiveLabel).length / rs.length,
        truePositiveRate: rate(pos.filter((r) => r.predicted === positiveLabel).length, pos.length),
        falsePositiveRate: rate(neg.filter((r) => r.predicted === positiveLabel).length, neg.length),
      };
    });
  const rates = groups.map((g) => g.positiveRate);
  const maxRate = Math.max(...rates, 0);
  return {
    positiveLabel,
    groups,
    demographicParityDifference: spread(rates),
    equalizedOddsDifference: Math.max(
      spread(groups.map((g) => g.truePositiveRate)),
      spread(groups.map((g) => g.falsePositiveRate)),
    ),
    disparateImpactRatio: groups.length < 2 || maxRate === 0 ? 1 : Math.min(...rates) / maxRate,
    accuracyGap: spread(groups.map((g) => g.accuracy)),
  };
}
