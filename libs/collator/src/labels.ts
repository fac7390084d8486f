// The label of a position that is left out of the loss: PyTorch cross-entropy's default ignore_index,
// which the Hugging Face collators write for padding and masked prompts (docs/hf-semantics.md §2.1).
// A collator may be given another ignore index for masked prompts; padding always gets this one.
export const IGNORE_INDEX = -100;

/**
 * Targets in one row's labels: the positions that enter the loss. Position 0 never does (the model
 * predicts each token from those before it), nor any position labelled IGNORE_INDEX.
 */
export function countTargets(labels: ArrayLike<number>): number {
  let n = 0;
  for (let t = 1; t < labels.length; t++) if (labels[t] !== IGNORE_INDEX) n += 1;
  return n;
}
