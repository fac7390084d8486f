// The shape of eval.json: every figure `evaluate()` produces. Field names are snake_case because
// the file is read by people and other tools; each field is documented in docs/commands.md
// (`## ftune evaluate`) and in `definitions` inside the file.
import type { ConfusionCell, LengthBucket } from './analysis/errors';
import type { Task } from './data/examples';
import type { Calibration } from './metrics/calibration';
import type { ClassificationMetrics } from './metrics/classification';
import type { Bleu } from './metrics/generation/bleu';
import type { LmMetrics } from './metrics/lm';
import type { PairedBootstrapResult } from './stats/bootstrap';
import type { GenerateOptions } from './scoring/scorer';

export interface GenerationMetrics {
  /** Examples generated and scored. */
  examples: number;
  exact_match: number;
  token_f1: number;
  rouge_l: number;
  bleu: Bleu;
  decoding: GenerateOptions;
}

/** Every figure of one model on the split. */
export interface ModelResult {
  name: string;
  lm: LmMetrics;
  classification?: ClassificationMetrics & { calibration: Calibration };
  generation?: GenerationMetrics;
}

export type BaselineKind = 'majority' | 'start' | 'model';

export interface BaselineResult {
  name: string;
  kind: BaselineKind;
  /** The majority baseline's constant answer. */
  label?: string;
  loss?: number | null;
  perplexity?: number | null;
  accuracy?: number;
  macro_f1?: number;
  token_f1?: number;
  /** Paired bootstrap of (evaluated model − this baseline) on the per-example primary score. */
  comparison?: PairedBootstrapResult & { metric: 'accuracy' | 'token_f1' };
}

export interface WorstExample {
  index: number;
  line?: number;
  prompt: string;
  reference: string;
  /** Predicted label (classification) or greedy generation (generation data). */
  prediction?: string;
  /** Probability of the reference label (classification). */
  reference_probability?: number;
  /** Mean per-token loss of the reference completion. */
  loss: number | null;
  token_f1?: number;
}

export interface Sample {
  index: number;
  line?: number;
  prompt: string;
  reference: string;
  greedy: string;
  sampled: string;
}

export interface EvalResult {
  schema: 'ftune.eval/1';
  split: 'test';
  task: Task;
  examples: number;
  model: string;
  seed: number;
  loss: number | null;
  perplexity: number | null;
  token_accuracy: number | null;
  accuracy?: number;
  macro_f1?: number;
  baseline_accuracy?: number;
  start_accuracy?: number;
  labels?: string[];
  lm: LmMetrics;
  classification?: ModelResult['classification'];
  generation?: GenerationMetrics;
  baselines: BaselineResult[];
  analysis: {
    /** Which figure ranks `worst_examples` (lowest first). */
    worst_by: 'reference_probability' | 'token_f1' | 'loss';
    worst_examples: WorstExample[];
    by_length: LengthBucket[];
    top_confusions?: ConfusionCell[];
    /** Per-label figures are in classification.per_label. */
  };
  /**
   * Greedy generations that the model ended itself (EOS before max_new_tokens), as a share of `prompts`
   * test prompts: the evaluated model, and the model before fine-tuning when there is one.
   */
  stopping?: { prompts: number; max_new_tokens: number; model: number; start?: number };
  samples: { greedy: GenerateOptions; sampled: GenerateOptions; items: Sample[] };
  definitions: Record<string, string>;
}
