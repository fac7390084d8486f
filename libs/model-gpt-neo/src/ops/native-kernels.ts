// LayerNorm, gelu_new and the softmax cross-entropy as fused native kernels on tfjs-node's CPU backend: ftune's ops compiled into the addon
// (libs/compute/native/ftune_fused.cc, by libs/compute/scripts/install-native-tf.cjs), each one pass over its
// tensors where the composed ops take a dozen small kernels. Registered as tfjs kernels of the 'tensorflow'
// backend (so tf.profile and the engine's memory accounting see them); norm-gelu.ts uses them where
// `fusedKernels()` says so and keeps its tensor-op path everywhere else (wasm, cpu, GPU, an addon without them).
// Also the accessor of the native backend's binding that the trainer's native ops (AdamW) share.
import * as tf from '@tensorflow/tfjs-core';

/** A tensor the binding made: its id in the binding, shape and TF dtype code. */
export interface NativeTensorInfo {
  id: number;
  shape: number[];
  dtype: number;
}

/** The parts of tfjs-node's NodeJSKernelBackend that ftune's native ops use. */
export interface NativeKernelBackend {
  binding: object;
  getInputTensorIds(tensors: tf.Tensor[]): number[];
  createOutputTensor(info: NativeTensorInfo): tf.Tensor;
  refCount(dataId: object): number;
}

/** The backend tensor ops run on now, where it is tfjs-node's ('tensorflow'). */
function activeNativeBackend(): unknown {
  return tf.getBackend() === 'tensorflow' ? tf.backend() : undefined;
}

/** Whether a backend computes on a GPU, asked once per backend. */
const onGpu = new WeakMap<object, boolean>();

/**
 * `backend` (the active one by default) and its binding typed as `B`, where it is tfjs-node's backend on the CPU
 * and the binding has every function in `names`; undefined on any other backend, on a GPU, or with an addon
 * built without them.
 */
export function nativeCpuBackend<B>(
  names: readonly string[],
  backend: unknown = activeNativeBackend(),
): { backend: NativeKernelBackend; binding: B } | undefined {
  const node = backend as Partial<NativeKernelBackend> | undefined;
  const binding = node?.binding as Record<string, unknown> | undefined;
  if (
    !node ||
    !binding ||
    typeof node.getInputTensorIds !== 'function' ||
    typeof node.createOutputTensor !== 'function' ||
    names.some((n) => typeof binding[n] !== 'function')
  ) {
    return undefined;
  }
  let gpu = onGpu.get(node);
  if (gpu === undefined) {
    gpu = typeof binding.isUsingGpuDevice === 'function' && (binding.isUsingGpuDevice as () => boolean)() === true;
    onGpu.set(node, gpu);
  }
  return gpu ? undefined : { backend: node as NativeKernelBackend, binding: binding as B };
}

/** The fused ops of the binding (see libs/compute/native/ftune_ops.h); arguments are tensor ids. */
interface FusedBinding {
  ftuneLayerNorm(x: number, weight: number, bias: number, eps: number): NativeTensorInfo[];
  ftuneLayerNormGrad(dy: number, x: number, weight: number, mean: number, rstd: number): NativeTensorInfo[];
  ftuneGeluNew(x: number): NativeTensorInfo[];
  ftuneGeluNewGrad(dy: number, x: number): NativeTensorInfo[];
  ftuneCrossEntropy(logits: number, targets: number): NativeTensorInfo[];
  ftuneCrossEntropyGrad(logits: number, targets: number, lse: number, dy: number): NativeTensorInfo[];
  ftuneMaskedSoftmax(scores: number, bias: number): NativeTensorInfo[];
  ftuneSoftmaxGrad(dy: number, y: number): NativeTensorInfo[];
}

const FUSED_OPS = [
  'ftuneLayerNorm',
  'ftuneLayerNormGrad',
  'ftuneGeluNew',
  'ftuneGeluNewGrad',
  'ftuneCrossEntropy',
  'ftuneCrossEntropyGrad',
  'ftuneMaskedSoftmax',
  'ftuneSoftmaxGrad',
] as const;

/** The kernels' names, as tf.profile reports them. */
export const FUSED_KERNELS = {
  layerNorm: 'FtuneLayerNorm',
  layerNormGrad: 'FtuneLayerNormGrad',
  gelu: 'FtuneGeluNew',
  geluGrad: 'FtuneGeluNewGrad',
  crossEntropy: 'FtuneCrossEntropy',
  crossEntropyGrad: 'FtuneCrossEntropyGrad',
  maskedSoftmax: 'FtuneMaskedSoftmax',
  softmaxGrad: 'FtuneSoftmaxGrad',
} as const;

/** A kernel of the 'tensorflow' backend that passes its inputs, in `order`, to one fused op of the binding. */
function fusedKernel(
  kernelName: string,
  order: readonly string[],
  call: (binding: FusedBinding, ids: number[], attrs: tf.NamedAttrMap) => NativeTensorInfo[],
  single: boolean,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: 'tensorflow',
    kernelFunc: ({ inputs, attrs, backend }) => {
      const node = backend as unknown as NativeKernelBackend;
      const ids = node.getInputTensorIds(order.map((name) => inputs[name] as tf.Tensor));
      const outputs = call(node.binding as unknown as FusedBinding, ids, attrs ?? {}).map((info) => node.createOutputTensor(info));
      return single ? outputs[0] : outputs;
    },
  };
}

const KERNELS: tf.KernelConfig[] = [
  fusedKernel(FUSED_KERNELS.layerNorm, ['x', 'weight', 'bias'], (b, [x, w, bias], a) => b.ftuneLayerNorm(x, w, bias, a.eps as number), false),
  fusedKernel(FUSED_KERNELS.layerNormGrad, ['dy', 'x', 'weight', 'mean', 'rstd'], (b, ids) => b.ftuneLayerNormGrad(ids[0], ids[1], ids[2], ids[3], ids[4]), false),
  fusedKernel(FUSED_KERNELS.gelu, ['x'], (b, [x]) => b.ftuneGeluNew(x), true),
  fusedKernel(FUSED_KERNELS.geluGrad, ['dy', 'x'], (b, [dy, x]) => b.ftuneGeluNewGrad(dy, x), true),
  fusedKernel(FUSED_KERNELS.crossEntropy, ['logits', 'targets'], (b, [l, t]) => b.ftuneCrossEntropy(l, t), false),
  fusedKernel(
    FUSED_KERNELS.crossEntropyGrad,
    ['logits', 'targets', 'lse', 'dy'],
    (b, ids) => b.ftuneCrossEntropyGrad(ids[0], ids[1], ids[2], ids[3]),
    true,
  ),
  fusedKernel(FUSED_KERNELS.maskedSoftmax, ['scores', 'bias'], (b, [x, bias]) => b.ftuneMaskedSoftmax(x, bias), true),
  fusedKernel(FUSED_KERNELS.softmaxGrad, ['dy', 'y'], (b, [dy, y]) => b.ftuneSoftmaxGrad(dy, y), true),
];

/** Whether the fused kernels serve the active backend (registering them on first use). */
export function fusedKernels(): boolean {
  if (!nativeCpuBackend(FUSED_OPS)) return false;
  for (const k of KERNELS) if (!tf.getKernel(k.kernelName, k.backendName)) tf.registerKernel(k);
  return true;
}

/** Whether `t` is float32 with the shape `shape`. */
function isFloat(t: tf.Tensor, shape: readonly number[]): boolean {
  return t.dtype === 'float32' && t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
}

/** Whether the fused LayerNorm takes these arguments: float32, x (..., C) with C ≥ 1, weight and bias (C). */
export function fusedLayerNormFits(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): boolean {
  const c = x.shape[x.rank - 1];
  return x.rank >= 1 && c >= 1 && isFloat(x, x.shape) && isFloat(weight, [c]) && isFloat(bias, [c]) && Number.isFinite(eps) && eps >= 0;
}

/** LayerNorm over the last axis with the fused kernels, gradients for x, weight and bias (see norm-gelu.ts). */
export function fusedLayerNorm(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, w, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = tf.engine().runKernel(FUSED_KERNELS.layerNorm, { x: input, weight: w, bias: b }, { eps }) as tf.Tensor[];
    save([input, w, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, m, r] = saved;
        return tf.engine().runKernel(FUSED_KERNELS.layerNormGrad, { dy, x: xs, weight: ws, mean: m, rstd: r }, {}) as tf.Tensor[];
      },
    };
  });
  return f(x, weight, bias);
}

/** gelu_new with the fused kernels, its gradient computed from x alone (see norm-gelu.ts). */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([input]);
    return {
      value: tf.engine().runKernel(FUSED_KERNELS.gelu, { x: input }, {}) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(FUSED_KERNELS.geluGrad, { dy, x: saved[0] }, {}) as tf.Tensor,
    };
  });
  return f(x);
}

/** Whether the fused cross-entropy takes these arguments: logits float32 (N, V) with V ≥ 1, targets int32 (N). */
export function fusedCrossEntropyFits(logits: tf.Tensor, targets: tf.Tensor): boolean {
  return (
    logits.dtype === 'float32' &&
    logits.rank === 2 &&
    (logits.shape[1] ?? 0) >= 1 &&
    targets.dtype === 'int32' &&
    targets.rank === 1 &&
    targets.shape[0] === logits.shape[0]
  );
}

/**
 * Per-row cross-entropy −log softmax(logits)[n, targets[n]] (N) and each row's first argmax (N, float32) with the
 * fused kernels: a pass for the row maximum and one for Σ e^(x − max); the backward pass makes (softmax − onehot)·dy
 * in one more, from the logits and the rows' log Σ e^x (no (N, V) intermediate is made or kept). The kernel runs in
 * the caller's scope, so its argmax outlives the gradient wrapper, which passes the loss on and owns the gradient.
 */
export function fusedCrossEntropy(logits: tf.Tensor, targets: tf.Tensor): { nll: tf.Tensor; argmax: tf.Tensor } {
  const [nll, lse, argmax] = tf.engine().runKernel(FUSED_KERNELS.crossEntropy, { logits, targets }, {}) as tf.Tensor[];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    save([x, lse, targets]);
    return {
      value: tf.clone(nll),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.engine().runKernel(FUSED_KERNELS.crossEntropyGrad, { logits: saved[0], targets: saved[2], lse: saved[1], dy }, {}) as tf.Tensor,
    };
  });
  return { nll: f(logits), argmax };
}

/**
 * Whether the fused masked softmax takes these arguments: float32 scores (..., T, S) with S ≥ 1 and a bias of the
 * same last two axes whose leading axes are each 1 or the scores' (right-aligned, no more of them than the scores').
 */
export function fusedMaskedSoftmaxFits(scores: tf.Tensor, bias: tf.Tensor): boolean {
  const [r, q] = [scores.rank, bias.rank];
  if (scores.dtype !== 'float32' || bias.dtype !== 'float32' || r < 2 || q < 2 || q > r || (scores.shape[r - 1] ?? 0) < 1) return false;
  return bias.shape.every((d, i) => {
    const s = scores.shape[r - q + i];
    return d === s || (i < q - 2 && d === 1);
  });
}

/**
 * softmax(scores + bias) over the last axis with the fused kernels: the sum, the maximum and the exponentials in
 * two passes a row, and the gradient y·(dy − Σ dy·y) in one, from the output kept for it (as tf.softmax keeps).
 * The bias (the attention masks) takes no gradient.
 */
export function fusedMaskedSoftmax(scores: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const y = tf.engine().runKernel(FUSED_KERNELS.maskedSoftmax, { scores: x, bias }, {}) as tf.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(FUSED_KERNELS.softmaxGrad, { dy, y: saved[0] }, {}) as tf.Tensor,
    };
  });
  return f(scores);
}
