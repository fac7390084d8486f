// The TensorBoard event files ftune writes, read back by TensorBoard's own reader (EventAccumulator,
// through tools/golden/tensorboard_events.py in the tracking venv): tags, steps, float32 values,
// wall times, a non-finite value, and two writers' files in one folder read as one run.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunTracker, TENSORBOARD_DIR } from '@ftune/tracking';
import { readTensorBoard } from './tensorboard-reader';

describe('TensorBoard event files', () => {
  it("are read by TensorBoard's EventAccumulator with every step's scalars", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ftune-tb-'));
    const warn = (m: string) => expect.fail(m);
    const t0 = Date.now();
    const owner = new RunTracker({ dir, runName: 'r', tensorboard: true, mlflow: null, role: 'owner', warn });
    const losses = Array.from({ length: 40 }, (_, i) => 3 / (1 + i / 7));
    losses.forEach((loss, i) =>
      owner.metrics(i + 1, { 'train/loss': loss, 'train/learning_rate': 1e-4 * (1 - i / 40) }),
    );
    owner.metrics(41, { 'train/loss': NaN });
    // the train job of the services writes its own file beside the owner's
    const job = new RunTracker({ dir, runName: 'r', tensorboard: true, mlflow: null, role: 'attach', warn });
    job.metrics(20, { 'eval/loss': 2.75, 'eval/perplexity': Math.exp(2.75) });
    await job.close();
    await owner.close();
    const t1 = Date.now();

    expect(readdirSync(join(dir, TENSORBOARD_DIR))).toHaveLength(2);
    const read = readTensorBoard(join(dir, TENSORBOARD_DIR));
    expect(read.files).toBe(2);
    expect(Object.keys(read.scalars).sort()).toEqual([
      'eval/loss',
      'eval/perplexity',
      'train/learning_rate',
      'train/loss',
    ]);
    const loss = read.scalars['train/loss'];
    expect(loss.map(([step]) => step)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
    losses.forEach((v, i) => expect(Math.abs((loss[i][1] as number) - v)).toBeLessThan(v * 1e-6)); // float32
    expect(loss[40][1]).toBe('nan');
    for (const [, , wall] of loss) {
      expect(wall * 1000).toBeGreaterThanOrEqual(t0 - 1);
      expect(wall * 1000).toBeLessThanOrEqual(t1 + 1);
    }
    expect(read.scalars['eval/loss']).toEqual([[20, 2.75, expect.any(Number)]]);
    expect(read.scalars['eval/perplexity'][0][1] as number).toBeCloseTo(Math.exp(2.75), 4);
  });
});
