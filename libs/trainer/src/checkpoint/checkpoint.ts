// Checkpoint folders `checkpoint-<step>/` (Hugging Face Trainer layout, with our own state files):
// model weights (model.safetensors), optimizer moments (optimizer.safetensors), trainer_state.json
// (step, scheduler, RNG and data position, best metric, early-stopping and monitor state, config).
// A checkpoint is built in a temporary folder and renamed into place, so a kill never leaves a corrupt one.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { uniqueSuffix } from '@ftune/common';
import { type NamedTensor, SafetensorsReader, readFloat32Tensors, writeSafetensorsFile } from '@ftune/safetensors';
import type { AdamWState } from '../optim/adamw';
import type { RandomState } from '../data/random';

export const TRAINER_STATE_FILE = 'trainer_state.json';
export const WEIGHTS_FILE = 'model.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** Everything besides tensors needed to continue a run exactly. */
export interface TrainerState {
  formatVersion: 1;
  globalStep: number;
  /** Fractional epoch as the Trainer logs it. */
  epoch: number;
  data: {
    epoch: number; // 0-based epoch being read
    nextBatch: number; // next micro-batch index within that epoch
    rngAtEpochStart: RandomState; // regenerates that epoch's order
    trainExamples: number;
  };
  scheduler: { type: string; step: number; totalSteps: number; warmupSteps: number };
  tokensSeen: number;
  best: { metric: string; value: number | null; step: number | null; checkpoint: string | null };
  earlyStopping: { counter: number };
  monitor: unknown;
  /** The training arguments of the run (for reference and for resume checks). */
  args: Record<string, unknown>;
}

export interface CheckpointInfo {
  step: number;
  dir: string;
}

export function checkpointDir(outDir: string, step: number): string {
  return path.join(outDir, `checkpoint-${step}`);
}

/** Complete checkpoints in `outDir`, oldest first. */
export function listCheckpoints(outDir: string): CheckpointInfo[] {
  if (!fs.existsSync(outDir)) return [];
  return fs
    .readdirSync(outDir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: path.join(outDir, m[0]) }))
    .filter((c) => fs.existsSync(path.join(c.dir, TRAINER_STATE_FILE)))
    .sort((a, b) => a.step - b.step);
}

/** Builds a folder through `write(tmpDir)` and moves it to `target` atomically (replacing an old one). */
export function writeFolderAtomically(target: string, write: (tmpDir: string) => void): void {
  const parent = path.dirname(target);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.tmp-${path.basename(target)}-${uniqueSuffix()}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    write(tmp);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  if (fs.existsSync(target)) {
    const old = `${tmp}-old`;
    fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, target);
  }
}

/** Float32 tensors to write, each read from the backend when the writer reaches it. */
function namedTensors(tensors: Iterable<[string, tf.Tensor]>, prefix = ''): NamedTensor[] {
  return [...tensors].map(([name, t]) => ({
    name: prefix + name,
    shape: t.shape,
    dtype: 'F32',
    data: () => t.dataSync() as Float32Array,
  }));
}

export function writeWeights(file: string, variables: readonly tf.Variable[]): void {
  writeSafetensorsFile(file, namedTensors(variables.map((v) => [v.name, v])));
}

/** Assigns saved weights to the variables with the same names; every variable must be present. */
export function readWeightsInto(file: string, variables: readonly tf.Variable[]): void {
  const saved = SafetensorsReader.open(file);
  try {
    for (const v of variables) {
      const t = saved.header.tensors.get(v.name);
      if (!t) throw new Error(`${file} has no tensor named ${v.name}`);
      if (t.shape.join(',') !== v.shape.join(',')) {
        throw new Error(`${file}: ${v.name} has shape [${t.shape}], the model expects [${v.shape}]`);
      }
      v.assign(tf.tensor(saved.readFloat32(v.name), t.shape, 'float32'));
    }
  } finally {
    saved.close();
  }
}

export function writeOptimizer(file: string, state: AdamWState): void {
  const moments = (m: AdamWState['expAvg'], prefix: string): NamedTensor[] =>
    [...m].map(([name, { shape, data }]) => ({ name: prefix + name, shape, dtype: 'F32', data: () => data }));
  const tensors = [...moments(state.expAvg, 'exp_avg.'), ...moments(state.expAvgSq, 'exp_avg_sq.')];
  writeSafetensorsFile(file, tensors, { format: 'ftune-adamw', step: String(state.step) });
}

export function readOptimizer(file: string, step: number): AdamWState {
  const state: AdamWState = { step, expAvg: new Map(), expAvgSq: new Map() };
  for (const [name, t] of readFloat32Tensors(file)) {
    const moment = { shape: t.shape, data: t.data };
    if (name.startsWith('exp_avg_sq.')) state.expAvgSq.set(name.slice('exp_avg_sq.'.length), moment);
    else state.expAvg.set(name.slice('exp_avg.'.length), moment);
  }
  return state;
}

export function readTrainerState(dir: string): TrainerState {
  return JSON.parse(fs.readFileSync(path.join(dir, TRAINER_STATE_FILE), 'utf8')) as TrainerState;
}

/**
 * Deletes the oldest checkpoints until at most `limit` remain, never the newest nor `keepStep`
 * (the best one), as the Trainer's save_total_limit does.
 */
export function pruneCheckpoints(outDir: string, limit: number, keepStep: number | null): string[] {
  const all = listCheckpoints(outDir);
  const newest = all.length ? all[all.length - 1].step : null;
  const removable = all.filter((c) => c.step !== newest && c.step !== keepStep);
  const removed: string[] = [];
  let count = all.length;
  for (const c of removable) {
    if (count <= limit) break;
    fs.rmSync(c.dir, { recursive: true, force: true });
    removed.push(c.dir);
    count -= 1;
  }
  return removed;
}
