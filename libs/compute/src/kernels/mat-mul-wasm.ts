// BatchMatMul and _FusedMatMul for wasm without its slow transposed path: with transposeA/transposeB the wasm
// kernel runs 10-36x slower than an explicit Transpose followed by a plain product (512²: 1-2 vs 21 GFLOP/s).
// Also adds _FusedMatMul's bias in a separate Add: wasm's fused bias is wrong for some batched shapes
// (tfjs 4.22: (2,2,2)·(2,2,2) + bias[2] adds bias[1] to row 1, column 0).
// Wraps the registered kernels so every caller, autodiff's matMul gradients included, gets the fast path.
import {
  Add,
  BatchMatMul,
  type BatchMatMulAttrs,
  getKernel,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  Elu,
  LeakyRelu,
  Prelu,
  Relu,
  Relu6,
  Sigmoid,
  Transpose,
  _FusedMatMul,
  type _FusedMatMulAttrs,
} from '@tensorflow/tfjs-core';

const WRAPPED = Symbol('ftune.withoutTransposes');
type WrappedKernelFunc = KernelFunc & { [WRAPPED]?: true };

/** The kernel function, taking transposes out of the product into explicit Transpose kernels. */
export function withoutTransposes(original: KernelFunc, backendName: string): KernelFunc {
  const wrapped: WrappedKernelFunc = ({ inputs, backend, attrs }) => {
    const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs;
    if (!transposeA && !transposeB) return original({ inputs, backend, attrs });
    const transpose = getKernel(Transpose, backendName).kernelFunc;
    const temporaries: TensorInfo[] = [];
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      const y = transpose({ inputs: { x }, backend, attrs: { perm } }) as TensorInfo;
      temporaries.push(y);
      return y;
    };
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const plainA = transposeA ? swapLastTwo(a) : a;
    const plainB = transposeB ? swapLastTwo(b) : b;
    const plain: NamedAttrMap = { ...attrs, transposeA: false, transposeB: false };
    const out = original({ inputs: { ...inputs, a: plainA, b: plainB }, backend, attrs: plain });
    for (const t of temporaries) (backend as KernelBackend).disposeData(t.dataId);
    return out;
  };
  wrapped[WRAPPED] = true;
  return wrapped;
}

const ACTIVATION_KERNELS: Record<string, string> = {
  relu: Relu,
  relu6: Relu6,
  sigmoid: Sigmoid,
  elu: Elu,
  leakyrelu: LeakyRelu,
  prelu: Prelu,
};

/** _FusedMatMul as product, then Add(bias), then the activation kernel, when there is a bias. */
export function withSeparateBias(original: KernelFunc, backendName: string): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
    if (!bias) return original({ inputs, backend, attrs });
    const { activation, leakyreluAlpha } = attrs as unknown as _FusedMatMulAttrs;
    const run = (name: string, kernelInputs: Record<string, TensorInfo>, kernelAttrs: NamedAttrMap = {}) =>
      getKernel(name, backendName).kernelFunc({ inputs: kernelInputs, backend, attrs: kernelAttrs }) as TensorInfo;
    const product = original({ inputs: { a, b }, backend, attrs: { ...attrs, activation: 'linear' } }) as TensorInfo;
    const biased = run(Add, { a: product, b: bias });
    (backend as KernelBackend).disposeData(product.dataId);
    if (!activation || activation === 'linear') return biased;
    const kernel = ACTIVATION_KERNELS[activation];
    if (!kernel) throw new Error(`_FusedMatMul: unsupported activation ${activation}`);
    const out =
      activation === 'prelu'
        ? run(kernel, { x: biased, alpha: preluActivationWeights as TensorInfo })
        : run(kernel, { x: biased }, activation === 'leakyrelu' ? { alpha: leakyreluAlpha ?? 0.2 } : {});
    (backend as KernelBackend).disposeData(biased.dataId);
    return out;
  };
}

/** Kernel configs replacing the backend's BatchMatMul and _FusedMatMul (none if already replaced). */
export function matMulWithoutTransposes(backendName: string): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const kernelName of [BatchMatMul, _FusedMatMul]) {
    const current = getKernel(kernelName, backendName);
    if (!current || (current.kernelFunc as WrappedKernelFunc)[WRAPPED]) continue;
    const inner = kernelName === _FusedMatMul ? withSeparateBias(current.kernelFunc, backendName) : current.kernelFunc;
    configs.push({ ...current, kernelFunc: withoutTransposes(inner, backendName) });
  }
  return configs;
}
