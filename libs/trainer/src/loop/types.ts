// The public face of the training loop: what train() takes (options, model I/O), what it reports
// (step and evaluation records, events) and what it returns. The loop itself is ../train.ts.
import type { BatchSampler } from '../data/order';
import type { TrainingArguments } from '../args';
import type { FitSignal } from '../monitor/signals';
import type { DataSource, TrainableModel } from '../types';

export interface TrainOptions<E> {
  model: TrainableModel;
  train: DataSource<E>;
  validation?: DataSource<E>;
  args?: Partial<TrainingArguments>;
  /** metrics.jsonl, checkpoint-<step>/ and model/ go here; nothing is written without it. */
  outDir?: string;
  /** true: continue from the newest checkpoint in outDir (a fresh start if none); a path: from that checkpoint. */
  resume?: boolean | string;
  onEvent?: (event: TrainerEvent) => void;
  /** Aborting stops after the current optimizer step, writes a checkpoint and returns status 'interrupted'. */
  signal?: AbortSignal;
  /**
   * How model weights go into a folder and back: checkpoints, the best model and model/ use it. A model
   * library passes its Hugging Face writer and a loader into the live variables. Default: the trainable
   * variables by name, as the model holds them, in model.safetensors.
   */
  modelIO?: ModelIO;
  /** Overrides the epoch's batches (shuffled, or length-grouped when args.groupByLength). */
  sampler?: BatchSampler;
  /** Milliseconds clock for tokens/s; default performance.now. */
  now?: () => number;
}

export interface ModelIO {
  save(dir: string): void;
  /** Assigns the weights saved in `dir` to the model being trained. */
  load(dir: string): void;
}

/** One line of metrics.jsonl per logged optimizer step. tokens_* count non-padding input tokens. */
export interface StepRecord {
  step: number;
  epoch: number;
  loss: number;
  token_accuracy: number;
  learning_rate: number;
  grad_norm: number;
  tokens_per_second: number;
  tokens_seen: number;
}

/** One line of metrics.jsonl per evaluation, token-weighted over the whole validation split. */
export interface EvalRecord {
  step: number;
  eval_loss: number;
  eval_perplexity: number;
  eval_token_accuracy: number;
}

export type TrainerEvent =
  | {
      type: 'start';
      totalSteps: number;
      stepsPerEpoch: number;
      startStep: number;
      examples: number;
      decayed: string[];
    }
  | { type: 'step'; record: StepRecord; totalSteps: number }
  | { type: 'eval'; record: EvalRecord; isBest: boolean }
  | { type: 'signal'; signal: FitSignal }
  | { type: 'checkpoint'; step: number; dir: string }
  | { type: 'early_stop'; step: number; message: string }
  | { type: 'warning'; message: string }
  | { type: 'end'; result: TrainResult };

/** The best evaluation so far and the checkpoint that holds it. */
export interface BestModel {
  metric: string;
  value: number | null;
  step: number | null;
  checkpoint: string | null;
}

export interface TrainResult {
  status: 'completed' | 'early_stopped' | 'interrupted';
  globalStep: number;
  epoch: number;
  /** Mean of the logged training losses of this process's steps (NaN when none). */
  trainLoss: number;
  lastEval: EvalRecord | null;
  best: BestModel;
  signals: FitSignal[];
  modelDir: string | null;
}
