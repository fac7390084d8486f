// Why a run stops before its end: a diverged loss, a batch with nothing to learn, or memory running out.
// The out-of-memory message (what to change) is written here once, for the step and for the whole run.
import type { CollatedBatch } from '../types';

export type HaltReason = 'non_finite_loss' | 'no_trainable_tokens' | 'out_of_memory';

/** A run stopped because it cannot go on; the message says why and what to change. */
export class TrainingHaltedError extends Error {
  constructor(
    readonly reason: HaltReason,
    readonly step: number,
    message: string,
  ) {
    super(message);
    this.name = 'TrainingHaltedError';
  }
}

export function isOutOfMemory(e: unknown): boolean {
  const text = e instanceof Error ? `${e.name} ${e.message}` : String(e);
  return /out of memory|\bOOM\b|failed to allocate|allocation failed|Invalid typed array length|Array buffer allocation/i.test(
    text,
  );
}

/**
 * `e` unchanged unless it is an allocation failure; that becomes a TrainingHaltedError at `step` naming
 * the batch shape when known.
 */
export function asOutOfMemory(e: unknown, step: number, batch?: CollatedBatch): unknown {
  if (e instanceof TrainingHaltedError || !isOutOfMemory(e)) return e;
  const shape = batch ? ` (batch of ${batch.batchSize} × ${batch.seqLen} tokens)` : '';
  return new TrainingHaltedError(
    'out_of_memory',
    step,
    `out of memory at step ${step}${shape}: use a ` +
      `smaller --batch-size with a larger --gradient-accumulation-steps, or a smaller --max-length`,
  );
}
