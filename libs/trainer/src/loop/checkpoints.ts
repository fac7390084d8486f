// The checkpoint keeper: saves checkpoint-<step>/ (weights, optimizer moments, arguments, training
// state) atomically, prunes to saveTotalLimit, keeps the best model's checkpoint (removing the previous
// best-only one) and writes the final or best model as model/. It decides nothing about evaluation.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainingArguments } from '../args';
import {
  checkpointDir,
  OPTIMIZER_FILE,
  pruneCheckpoints,
  TRAINER_STATE_FILE,
  writeFolderAtomically,
  writeOptimizer,
} from '../checkpoint/checkpoint';
import type { AdamW } from '../optim/adamw';
import type { TrainingState } from './state';
import type { ModelIO, TrainerEvent } from './types';

export class CheckpointKeeper {
  private lastSavedStep: number;

  constructor(
    private readonly outDir: string | undefined,
    private readonly state: TrainingState,
    private readonly args: TrainingArguments,
    private readonly modelIO: ModelIO,
    private readonly optimizer: AdamW,
    /** Runs before anything is written (the loop flushes its log: a diverged run is never saved). */
    private readonly beforeSave: () => Promise<void>,
    private readonly onEvent: (event: TrainerEvent) => void,
    resumedAtStep: number | null,
  ) {
    this.lastSavedStep = resumedAtStep ?? -1;
  }

  /** A regular checkpoint is due after this step. */
  isDue(step: number): boolean {
    return this.args.saveSteps > 0 && step % this.args.saveSteps === 0;
  }

  /** Saves the current step (once per step), then prunes; returns its folder, null without outDir. */
  async save(): Promise<string | null> {
    const { outDir, state } = this;
    if (!outDir) return null;
    const step = state.globalStep;
    const dir = checkpointDir(outDir, step);
    if (this.lastSavedStep === step) return dir;
    await this.beforeSave();
    writeFolderAtomically(dir, (tmp) => {
      this.modelIO.save(tmp);
      writeOptimizer(path.join(tmp, OPTIMIZER_FILE), this.optimizer.state());
      fs.writeFileSync(path.join(tmp, 'training_args.json'), `${JSON.stringify(this.args, null, 2)}\n`);
      fs.writeFileSync(path.join(tmp, TRAINER_STATE_FILE), `${JSON.stringify(state.snapshot(), null, 2)}\n`);
    });
    this.lastSavedStep = step;
    this.onEvent({ type: 'checkpoint', step, dir });
    if (this.args.saveTotalLimit > 0) pruneCheckpoints(outDir, this.args.saveTotalLimit, state.best.step);
    return dir;
  }

  /**
   * The current step is the new best: its checkpoint is saved and kept through pruning; the previous
   * best's checkpoint goes when it was saved only for being the best.
   */
  async keepBest(): Promise<void> {
    const { outDir, state } = this;
    if (!outDir) return;
    const step = state.globalStep;
    const previousBestStep = state.bestOnlyCheckpoints.size ? [...state.bestOnlyCheckpoints][0] : null;
    state.best = { ...state.best, checkpoint: checkpointDir(outDir, step) };
    state.bestOnlyCheckpoints.clear();
    if (!this.isDue(step)) state.bestOnlyCheckpoints.add(step);
    await this.save();
    if (previousBestStep !== null && previousBestStep !== step) {
      fs.rmSync(checkpointDir(outDir, previousBestStep), { recursive: true, force: true });
    }
  }

  /** Writes model/ from the best checkpoint when it is not the current step (`useBest`), else the live weights. */
  writeFinalModel(useBest: boolean): string | null {
    const { outDir, state } = this;
    if (!outDir) return null;
    if (useBest && state.best.checkpoint && state.best.step !== state.globalStep) {
      this.modelIO.load(state.best.checkpoint);
    }
    const modelDir = path.join(outDir, 'model');
    writeFolderAtomically(modelDir, (tmp) => this.modelIO.save(tmp));
    return modelDir;
  }
}
