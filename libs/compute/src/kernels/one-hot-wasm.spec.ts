import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerKernelFixes } from './index';
import { runOn } from '../testing/parity';

beforeAll(() => registerKernelFixes('wasm'));

describe('OneHot on wasm', () => {
  it.each(['float32', 'int32'] as const)('writes on/off values of dtype %s as cpu does', async (dtype) => {
    const run = () => [tf.oneHot(tf.tensor2d([[1, 2], [0, 5]], [2, 2], 'int32'), 4, 3, -1, dtype)];
    const [onWasm] = await runOn('wasm', run);
    const [onCpu] = await runOn('cpu', run);
    expect(Array.from(onWasm)).toEqual(Array.from(onCpu));
    expect(Array.from(onWasm)).toEqual([-1, 3, -1, -1, -1, -1, 3, -1, 3, -1, -1, -1, -1, -1, -1, -1]);
  });

  it('keeps float32 ones as 1, not as int32 bits', async () => {
    const [values] = await runOn('wasm', () => [tf.oneHot(tf.tensor1d([2], 'int32'), 3, 1, 0, 'float32')]);
    expect(Array.from(values)).toEqual([0, 0, 1]);
  });
});
