// Kernels ftune adds to or replaces in the pure-JS/wasm backends so a GPT-Neo model trains there, correctly and fast.
import { getKernel, type KernelConfig, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { matMulWithoutTransposes } from './mat-mul-wasm';
import { oneHotWasm } from './one-hot-wasm';
import { unsortedSegmentSumCpu, unsortedSegmentSumWasm } from './unsorted-segment-sum';

const registered = new Set<string>();

function replaceKernel(config: KernelConfig): void {
  if (getKernel(config.kernelName, config.backendName)) unregisterKernel(config.kernelName, config.backendName);
  registerKernel(config);
}

/** Registers ftune's kernels for a backend ('wasm' or 'cpu'; others need none). Idempotent. */
export function registerKernelFixes(backendName: string): void {
  if (registered.has(backendName)) return;
  if (backendName === 'wasm') {
    replaceKernel(unsortedSegmentSumWasm);
    replaceKernel(oneHotWasm);
    matMulWithoutTransposes('wasm').forEach(replaceKernel);
  } else if (backendName === 'cpu') {
    replaceKernel(unsortedSegmentSumCpu);
  }
  registered.add(backendName);
}

export { segmentSumInto } from './unsorted-segment-sum';
export { withoutTransposes } from './mat-mul-wasm';
