// TensorBoard's own reading of an event folder: tools/golden/tensorboard_events.py (EventAccumulator)
// run with the python of the tracking venv that tests/support/mlflow.ts provides.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { inject } from 'vitest';

export type Series = Array<[number, number | string, number]>;

/** The scalars of an event folder as TensorBoard reads them. */
export function readTensorBoard(folder: string): { scalars: Record<string, Series>; files: number } {
  const script = resolve(__dirname, '../../tools/golden/tensorboard_events.py');
  return JSON.parse(execFileSync(inject('trackingPython'), [script, folder], { encoding: 'utf8' })) as {
    scalars: Record<string, Series>;
    files: number;
  };
}
