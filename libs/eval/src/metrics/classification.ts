// Classification metrics from gold and predicted labels: accuracy, per-label precision/recall/F1,
// macro averages and the confusion matrix. Conventions follow scikit-learn: a ratio with a zero
// denominator is 0 (zero_division=0), and macro averages run over the labels that occur in the gold
// or predicted labels (a candidate label never seen nor predicted does not drag the average down).

export interface LabelMetrics {
  label: string;
  /** Gold examples of this label. */
  support: number;
  /** Examples predicted as this label. */
  predicted: number;
  /** Correctly predicted examples of this label. */
  true_positives: number;
  precision: number;
  recall: number;
  f1: number;
}

export interface ClassificationMetrics {
  /** Candidate labels, in the order used by `confusion` rows and columns. */
  labels: string[];
  examples: number;
  accuracy: number;
  macro_precision: number;
  macro_recall: number;
  macro_f1: number;
  /** Support-weighted mean F1. */
  weighted_f1: number;
  per_label: LabelMetrics[];
  /** confusion[g][p] = examples with gold label g predicted as p (indices into `labels`). */
  confusion: number[][];
}

function ratio(num: number, den: number): number {
  return den === 0 ? 0 : num / den;
}

/** Metrics for gold vs predicted labels over the given label set. Throws on labels outside it. */
export function classificationMetrics(
  gold: readonly string[],
  predicted: readonly string[],
  labels: readonly string[],
): ClassificationMetrics {
  if (gold.length !== predicted.length)
    throw new Error(`classificationMetrics: ${gold.length} gold vs ${predicted.length} predicted`);
  if (labels.length === 0) throw new Error('classificationMetrics: empty label set');
  const index = new Map(labels.map((l, i) => [l, i]));
  const k = labels.length;
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = index.get(gold[i]);
    const p = index.get(predicted[i]);
    if (g === undefined)
      throw new Error(
        `classificationMetrics: gold label ${JSON.stringify(gold[i])} is not a candidate label`,
      );
    if (p === undefined)
      throw new Error(
        `classificationMetrics: predicted label ${JSON.stringify(predicted[i])} is not a candidate label`,
      );
    confusion[g][p]++;
    if (g === p) correct++;
  }
  const perLabel: LabelMetrics[] = labels.map((label, j) => {
    const support = confusion[j].reduce((a, b) => a + b, 0);
    const pred = confusion.reduce((a, row) => a + row[j], 0);
    const tp = confusion[j][j];
    const precision = ratio(tp, pred);
    const recall = ratio(tp, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    return { label, support, predicted: pred, true_positives: tp, precision, recall, f1 };
  });
  const present = perLabel.filter((m) => m.support > 0 || m.predicted > 0);
  const macro = (f: (m: LabelMetrics) => number): number =>
    ratio(
      present.reduce((a, m) => a + f(m), 0),
      present.length,
    );
  return {
    labels: labels.slice(),
    examples: gold.length,
    accuracy: ratio(correct, gold.length),
    macro_precision: macro((m) => m.precision),
    macro_recall: macro((m) => m.recall),
    macro_f1: macro((m) => m.f1),
    weighted_f1: ratio(
      perLabel.reduce((a, m) => a + m.f1 * m.support, 0),
      gold.length,
    ),
    per_label: perLabel,
    confusion,
  };
}
