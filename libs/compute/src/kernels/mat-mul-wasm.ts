// BatchMatMul and _FusedMatMul for wasm without its slow transposed path: with transposeA/transposeB the wasm
// kernel runs 10-36x slower than an explicit Transpose followed by a plain product (512²: 1-2 vs 21 GFLOP/s).
// Wraps the registered kernels so every caller, autodiff's matMul gradients included, gets the fast path.
import {
  BatchMatMul,
  type BatchMatMulAttrs,
  getKernel,
  type KernelConfig,
  type KernelBackend,
  type KernelFunc,
  type NamedAttrMap,
  type TensorInfo,
  Transpose,
  _FusedMatMul,
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

/** Kernel configs replacing the backend's BatchMatMul and _FusedMatMul (none if already replaced). */
export function matMulWithoutTransposes(backendName: string): KernelConfig[] {
  const configs: KernelConfig[] = [];
  for (const kernelName of [BatchMatMul, _FusedMatMul]) {
    const current = getKernel(kernelName, backendName);
    if (!current || (current.kernelFunc as WrappedKernelFunc)[WRAPPED]) continue;
    configs.push({ ...current, kernelFunc: withoutTransposes(current.kernelFunc, backendName) });
  }
  return configs;
}
