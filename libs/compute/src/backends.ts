// Loaders for the four TensorFlow.js backends ftune can compute on. The native package (@tensorflow/tfjs-node,
// built from the GPU-enabled `tensorflow` wheel by scripts/install-native-tf.cjs) serves both native candidates:
// tensorflow-gpu when a GPU and the CUDA libraries are found and TensorFlow registers the GPU, tensorflow on the
// CPU otherwise (docs/backends.md). It may be missing and is required lazily; a loader that cannot provide its
// backend throws BackendUnavailable with a one-line reason. All share one @tensorflow/tfjs-core engine.
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
// Gradients and chained ops are not registered by tfjs-core's entry point, only by the @tensorflow/tfjs union
// package that tfjs-node loads: registering them here gives every backend the same API.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { describeMissing, detectGpu } from './gpu';
import { registerKernelFixes } from './kernels';

/** What a process computes on: `tensorflow` = libtensorflow through tfjs-node(-gpu). */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** The chooser's candidates, in order of preference. */
export const CANDIDATES = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type Candidate = (typeof CANDIDATES)[number];

export interface BackendInfo {
  backend: BackendName;
  device: 'cpu' | 'gpu';
  /** libtensorflow's version for `tensorflow`, the tfjs backend package's version otherwise. */
  version: string;
  /** Threads the backend computes with. */
  threads: number;
}

export class BackendUnavailable extends Error {
  constructor(
    readonly candidate: Candidate,
    reason: string,
  ) {
    super(reason);
    this.name = 'BackendUnavailable';
  }
}

const NATIVE_PACKAGE = '@tensorflow/tfjs-node';
let nativeLoaded = false;

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

function requireNative(candidate: 'tensorflow-gpu' | 'tensorflow'): void {
  if (nativeLoaded) return;
  // The CPU candidate computes on the CPU even where a GPU is visible: hidden from CUDA before TensorFlow starts
  // (child processes inherit it, and their chooser then sees the GPU hidden too).
  if (candidate === 'tensorflow') process.env.CUDA_VISIBLE_DEVICES = '-1';
  try {
    require.resolve(NATIVE_PACKAGE);
  } catch {
    throw new BackendUnavailable(candidate, `${NATIVE_PACKAGE} is not installed (run \`npm run install:native-tf\`)`);
  }
  try {
    require(NATIVE_PACKAGE);
  } catch (e) {
    throw new BackendUnavailable(candidate, `${NATIVE_PACKAGE} failed to load: ${firstLine(e)}`);
  }
  nativeLoaded = true;
}

/** Loads @tensorflow/tfjs-node without activating it: undefined when it loads, else why not. */
export function probeNative(): string | undefined {
  try {
    requireNative('tensorflow');
    return undefined;
  } catch (e) {
    if (e instanceof BackendUnavailable) return e.message;
    throw e;
  }
}

async function activate(candidate: Candidate, name: BackendName): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new BackendUnavailable(candidate, `backend '${name}' failed to initialise: ${firstLine(e)}`);
  }
  if (!ok) throw new BackendUnavailable(candidate, `backend '${name}' failed to initialise`);
}

interface NativeBackend {
  binding?: { TF_Version?: string };
  /** Whether TensorFlow's context holds a GPU device (tfjs-node asks it once, when the backend starts). */
  isUsingGpuDevice?: boolean;
}

const native = () => tf.backend() as unknown as NativeBackend;

async function loadGpu(): Promise<void> {
  const report = detectGpu();
  if (!report.gpu) throw new BackendUnavailable('tensorflow-gpu', report.evidence);
  if (report.missingLibraries.length > 0) {
    throw new BackendUnavailable('tensorflow-gpu', `${report.evidence}, but ${describeMissing(report)}`);
  }
  requireNative('tensorflow-gpu');
  await activate('tensorflow-gpu', 'tensorflow');
  if (!native().isUsingGpuDevice) {
    throw new BackendUnavailable(
      'tensorflow-gpu',
      `${report.evidence} and the CUDA libraries found, but TensorFlow registered no GPU device (its log says why: TF_CPP_MIN_LOG_LEVEL=0)`,
    );
  }
}

const loaders: Record<Candidate, () => Promise<void>> = {
  'tensorflow-gpu': loadGpu,
  tensorflow: async () => {
    requireNative('tensorflow');
    await activate('tensorflow', 'tensorflow');
  },
  wasm: async () => {
    require('@tensorflow/tfjs-backend-wasm');
    registerKernelFixes('wasm');
    await activate('wasm', 'wasm');
  },
  cpu: async () => {
    require('@tensorflow/tfjs-backend-cpu');
    registerKernelFixes('cpu');
    await activate('cpu', 'cpu');
  },
};

/** Loads one candidate and makes it the active backend; throws BackendUnavailable with the reason. */
export async function loadBackend(candidate: Candidate): Promise<BackendInfo> {
  await loaders[candidate]();
  return backendInfo();
}

/** The active backend, its device, version and thread count. */
export function backendInfo(): BackendInfo {
  const name = tf.getBackend();
  if (name === 'tensorflow') {
    const version = native().binding?.TF_Version ?? 'unknown';
    return { backend: 'tensorflow', device: native().isUsingGpuDevice ? 'gpu' : 'cpu', version, threads: availableParallelism() };
  }
  if (name === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    return { backend: 'wasm', device: 'cpu', version: wasm.version_wasm, threads: wasm.getThreadsCount() };
  }
  if (name === 'cpu') {
    const cpu = require('@tensorflow/tfjs-backend-cpu') as typeof import('@tensorflow/tfjs-backend-cpu');
    return { backend: 'cpu', device: 'cpu', version: cpu.version_cpu, threads: 1 };
  }
  throw new Error(`the active TensorFlow.js backend '${name}' is not one ftune chooses`);
}
