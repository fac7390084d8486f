// Classification by likelihood: the predicted label is the candidate label completion to which the
// model gives the highest log-likelihood after the prompt (not free generation, which can answer
// outside the label set). Probabilities are the softmax over the candidates' log-likelihoods, i.e. the
// model's distribution renormalised onto the label set; they feed calibration.

export interface LabelPrediction {
  /** Index of the predicted label in the candidate list. */
  index: number;
  label: string;
  /** Softmax over the candidates' log-likelihoods (sums to 1). */
  probabilities: number[];
  /** probabilities[index]. */
  confidence: number;
}

/** Numerically stable softmax (subtracts the maximum). */
export function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const z = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / z);
}

/**
 * Picks the label with the highest log-likelihood; ties go to the earlier label in `labels`.
 * Throws on an empty label set or a length mismatch.
 */
export function predictLabel(logLikelihoods: readonly number[], labels: readonly string[]): LabelPrediction {
  if (labels.length === 0) throw new Error('predictLabel: empty label set');
  if (logLikelihoods.length !== labels.length) {
    throw new Error(`predictLabel: ${logLikelihoods.length} scores for ${labels.length} labels`);
  }
  let index = 0;
  for (let i = 1; i < labels.length; i++) if (logLikelihoods[i] > logLikelihoods[index]) index = i;
  const probabilities = softmax(logLikelihoods);
  return { index, label: labels[index], probabilities, confidence: probabilities[index] };
}
