// The native build is the GPU-enabled one and computes on the CPU where no GPU is: the libtensorflow this process
// has mapped is the installed package's, from the `tensorflow` wheel, and it looks for the CUDA 12 / cuDNN 9
// wheels beside itself (its RUNPATH) — the CPU-only `tensorflow-cpu` build names no such folder. The op and
// training specs of this project (backends, native-adamw, model-parity) load this same package. Demanded where
// FTUNE_EXPECT_NATIVE=1 (CI); elsewhere skipped with the reason when the native backend is missing.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { backendInfo, BackendUnavailable, loadBackend, probeNative } from './backends';
import { runpathDirs } from './elf';
import { CUDA_WHEEL_LIBRARIES, detectGpu, wheelOf } from './gpu';

const nativeMissing = probeNative();
if (nativeMissing) console.warn(`native build not checked: ${nativeMissing}`);
if (process.env.FTUNE_EXPECT_NATIVE === '1' && nativeMissing)
  throw new Error(`FTUNE_EXPECT_NATIVE=1 but ${nativeMissing}`);

const pkg = nativeMissing ? '' : realpathSync(dirname(require.resolve('@tensorflow/tfjs-node/package.json')));

/** The files of shared libraries this process has mapped whose name starts with `prefix`. */
function mapped(prefix: string): string[] {
  const paths = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).slice(5).join(' '))
    .filter((p) => p.startsWith('/') && p.split('/').pop()?.startsWith(prefix));
  return [...new Set(paths)];
}

describe.skipIf(nativeMissing !== undefined)('the native build', () => {
  beforeAll(async () => {
    await loadBackend('tensorflow');
  });

  it('is the package built from the tensorflow 2.21.0 wheel, and that is the libtensorflow this process runs', () => {
    const marker = JSON.parse(readFileSync(join(pkg, '.ftune-native-tf.json'), 'utf8')) as {
      libtensorflow: string;
    };
    expect(marker.libtensorflow).toBe('tensorflow==2.21.0');
    expect(backendInfo().version).toBe('2.21.0');
    for (const lib of ['libtensorflow_framework.so.2', 'libtensorflow_cc.so.2']) {
      expect(mapped(lib).map((p) => realpathSync(p))).toEqual([join(pkg, 'deps', 'lib', lib)]);
    }
  });

  it('looks for the CUDA wheels beside itself: deps/nvidia/<wheel>/lib in its search path', () => {
    const nvidia = join(pkg, 'deps', 'nvidia');
    const framework = runpathDirs(join(pkg, 'deps', 'lib', 'libtensorflow_framework.so.2'));
    for (const folder of ['cuda_runtime', 'cublas', 'cudnn', 'cufft', 'cusparse']) {
      expect(framework).toContain(join(nvidia, folder, 'lib'));
    }
    expect(runpathDirs(join(pkg, 'deps', 'lib', 'libtensorflow_cc.so.2'))).toContain(
      join(nvidia, 'cusolver', 'lib'),
    );
  });

  it('pins a wheel for every CUDA library the chooser looks for (scripts/cuda-wheels.txt)', () => {
    const pins = readFileSync(join(__dirname, '../scripts/cuda-wheels.txt'), 'utf8');
    for (const lib of Object.keys(CUDA_WHEEL_LIBRARIES))
      expect(pins).toMatch(new RegExp(`^${wheelOf(lib)}==\\d`, 'm'));
  });

  it('hides the GPU from CUDA once the CPU candidate loaded TensorFlow, so that it computes on the CPU anywhere', () => {
    expect(process.env.CUDA_VISIBLE_DEVICES).toBe('-1');
    expect(detectGpu().gpu).toBe(false);
  });

  it('computes on the CPU, and the GPU candidate says why it is skipped', async () => {
    await tf.setBackend('tensorflow');
    expect(backendInfo().device).toBe('cpu');
    expect(mapped('libcudnn')).toEqual([]);
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tf.tensor2d([1, 0, -1, 2, 0.5, 1], [3, 2]);
    expect(Array.from(await tf.matMul(a, b).data())).toEqual([0.5, 7, 2, 16]);
    const grad = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0, 1]));
    const g = await grad.data();
    expect(g[0]).toBeCloseTo(1, 6);
    expect(g[1]).toBeCloseTo(1 - Math.tanh(1) ** 2, 6);
    const skipped = await loadBackend('tensorflow-gpu').catch((e: unknown) => e);
    expect(skipped).toBeInstanceOf(BackendUnavailable);
    expect((skipped as Error).message).toMatch(/no NVIDIA GPU found|CUDA_VISIBLE_DEVICES=-1 hides every GPU/);
  });
});
