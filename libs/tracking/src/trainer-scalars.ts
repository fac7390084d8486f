// The scalars ftune tracks for a training run, named as both trackers show them: train/* per logged
// optimizer step, eval/* per evaluation (the fields of metrics.jsonl, docs/observability.md).
import type { TrainerEvent } from '@ftune/trainer';

/** The scalars of a trainer step or evaluation (train/*, eval/*), or null for other events. */
export function trainerScalars(e: TrainerEvent): { step: number; values: Record<string, number> } | null {
  if (e.type === 'step') {
    const r = e.record;
    return {
      step: r.step,
      values: {
        'train/loss': r.loss,
        'train/token_accuracy': r.token_accuracy,
        'train/learning_rate': r.learning_rate,
        'train/grad_norm': r.grad_norm,
        'train/tokens_per_second': r.tokens_per_second,
        'train/epoch': r.epoch,
      },
    };
  }
  if (e.type === 'eval') {
    const r = e.record;
    return {
      step: r.step,
      values: {
        'eval/loss': r.eval_loss,
        'eval/perplexity': r.eval_perplexity,
        'eval/token_accuracy': r.eval_token_accuracy,
      },
    };
  }
  return null;
}
