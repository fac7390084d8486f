// Expected calibration error (Guo et al., 2017, "On Calibration of Modern Neural Networks").
// Binning: `bins` equal-width bins over [0, 1]; bin m (0-based) holds confidences in (m/M, (m+1)/M],
// with a confidence of exactly 0 placed in the first bin. ECE = Σ_m (|B_m| / n) · |acc(B_m) − conf(B_m)|,
// where conf is the top softmax probability over the candidate labels and acc the share of correct
// predictions in the bin. Empty bins contribute nothing.

export interface CalibrationBin {
  /** Bin bounds (lower exclusive, upper inclusive). */
  lower: number;
  upper: number;
  count: number;
  /** Mean confidence and accuracy of the bin's predictions; null when the bin is empty. */
  confidence: number | null;
  accuracy: number | null;
}

export interface Calibration {
  /** Expected calibration error in [0, 1]. */
  ece: number;
  /** Largest |accuracy − confidence| over non-empty bins. */
  mce: number;
  bins: CalibrationBin[];
}

/** ECE of predictions with the given confidences (top probabilities) and correctness. */
export function expectedCalibrationError(
  confidences: readonly number[],
  correct: readonly boolean[],
  bins = 10,
): Calibration {
  if (confidences.length !== correct.length) throw new Error('expectedCalibrationError: length mismatch');
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error('expectedCalibrationError: bins must be a positive integer');
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const hits = new Array<number>(bins).fill(0);
  for (let i = 0; i < confidences.length; i++) {
    const c = confidences[i];
    let m = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    if (m > 0 && c <= m / bins) m--; // c·M rounded up past an exact bound (0.3·10 = 3.0000000000000004)
    count[m]++;
    confSum[m] += c;
    if (correct[i]) hits[m]++;
  }
  const n = confidences.length;
  let ece = 0;
  let mce = 0;
  const out: CalibrationBin[] = [];
  for (let m = 0; m < bins; m++) {
    const conf = count[m] ? confSum[m] / count[m] : null;
    const acc = count[m] ? hits[m] / count[m] : null;
    if (conf !== null && acc !== null) {
      const gap = Math.abs(acc - conf);
      ece += (count[m] / n) * gap;
      mce = Math.max(mce, gap);
    }
    out.push({ lower: m / bins, upper: (m + 1) / bins, count: count[m], confidence: conf, accuracy: acc });
  }
  return { ece, mce, bins: out };
}
