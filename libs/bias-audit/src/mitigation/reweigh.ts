// Reweighing (Kamiran & Calders 2012, as AIF360 implements it): each example of group g and label y
// gets weight w(g, y) = P(Y = y) · P(G = g) / P(G = g, Y = y), so that group and label become
// independent in the weighted data. Examples that mention no group (or several) keep weight 1.
// The weights are fed to the loss as per-example weights (CollatedBatch.exampleWeights).

export interface WeighInput {
  group: string | null;
  label: string;
}

export interface Reweighing {
  weights: number[];
  /** "group\u0000label" → weight */
  cells: Record<string, { group: string; label: string; count: number; weight: number }>;
}

export function reweigh(items: WeighInput[]): Reweighing {
  const grouped = items.filter((i): i is { group: string; label: string } => i.group !== null);
  const n = grouped.length;
  const byGroup = new Map<string, number>();
  const byLabel = new Map<string, number>();
  const byCell = new Map<string, number>();
  for (const { group, label } of grouped) {
    byGroup.set(group, (byGroup.get(group) ?? 0) + 1);
    byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
    const k = `${group}\u0000${label}`;
    byCell.set(k, (byCell.get(k) ?? 0) + 1);
  }
  const cells: Reweighing['cells'] = {};
  for (const [k, count] of byCell) {
    const [group, label] = k.split('\u0000');
    const weight = ((byLabel.get(label) ?? 0) * (byGroup.get(group) ?? 0)) / (n * count);
    cells[k] = { group, label, count, weight };
  }
  return {
    weights: items.map((i) => (i.group === null ? 1 : cells[`${i.group}\u0000${i.label}`].weight)),
    cells,
  };
}
