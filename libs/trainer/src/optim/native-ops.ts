// ftune's native ops, compiled into the tfjs-node addon by libs/compute/scripts/install-native-tf.cjs (sources in
// libs/compute/native): a fused AdamW step that updates parameters and moments in place over all threads, and
// a sum of squares over a list of tensors. Present only on the native CPU backend of a build that has them;
// nativeOps() returns undefined elsewhere (wasm, cpu, GPU, an addon built without them) and callers keep
// their tensor-op path.
//
// Writing in place is safe only into memory no other tensor can see. Three ways memory is shared on this
// backend: tensors made from a JavaScript array keep that array's memory (tf.tensor(data)); tensors of one
// dataId (a variable and the tensor it was assigned, a clone); TensorFlow ops whose output shares the input's
// memory (Reshape, Identity, some slices). So an updated tensor must come from `privateCopy` (fresh memory,
// not from JavaScript), be the only tensor on its dataId (checked by `isPrivate`), and the native step itself
// refuses memory that any other live tensor overlaps, naming those tensors so the caller copies them first.
import * as tf from '@tensorflow/tfjs-core';
import { type NativeKernelBackend, type NativeTensorInfo, nativeCpuBackend } from '@ftune/model-gpt-neo';

/** The parts of tfjs-node's binding that ftune's ops add. */
interface FtuneBinding {
  ftuneCopy(id: number): NativeTensorInfo;
  ftuneSumSquares(ids: number[]): number;
  ftuneAdamW(params: number[], grads: number[], m: number[], v: number[], keep: number[], scalars: number[]): number[];
}

const OPS = ['ftuneCopy', 'ftuneSumSquares', 'ftuneAdamW'] as const;

/** The AdamW constants of one step (see AdamW in libs/trainer/src/optim/adamw.ts for their derivation). */
export interface FusedAdamWScalars {
  beta1: number;
  beta2: number;
  /** (1 − β1) × the gradients' scale */
  c1: number;
  /** (1 − β2) × the gradients' scale² */
  c2: number;
  stepSize: number;
  epsHat: number;
}

export interface NativeOps {
  /** A new tensor with `t`'s values in memory of its own. */
  privateCopy(t: tf.Tensor): tf.Tensor;
  /** Whether `t` came from privateCopy (or is a variable assigned one) and no other tensor shares its dataId. */
  isPrivate(t: tf.Tensor): boolean;
  /** Σ x² over every element of the float32 tensors, summed in double precision. */
  sumOfSquares(tensors: readonly tf.Tensor[]): number;
  /**
   * One AdamW step in place, per parameter k: m ← β1·m + c1·g; v ← β2·v + c2·g²;
   * p ← p·keep[k] − (m / (√v + epsHat))·stepSize. Returns the tensors among params, m and v whose memory another
   * live tensor shares; when there are any, nothing was written.
   */
  adamW(
    params: readonly tf.Tensor[],
    grads: readonly tf.Tensor[],
    m: readonly tf.Tensor[],
    v: readonly tf.Tensor[],
    keep: readonly number[],
    scalars: FusedAdamWScalars,
  ): tf.Tensor[];
}

/** dataIds whose memory privateCopy made (weak: a disposed tensor's entry goes with it). */
const privateData = new WeakSet<object>();

/** The native ops of `backend` (the active one by default), or undefined where it lacks them. */
export function nativeOps(backend?: unknown): NativeOps | undefined {
  const native = nativeCpuBackend<FtuneBinding>(OPS, backend); // undefined: the active backend
  return native && new BindingOps(native.backend, native.binding);
}

class BindingOps implements NativeOps {
  constructor(
    private readonly backend: NativeKernelBackend,
    private readonly binding: FtuneBinding,
  ) {}

  private ids(tensors: readonly tf.Tensor[]): number[] {
    return this.backend.getInputTensorIds([...tensors]);
  }

  privateCopy(t: tf.Tensor): tf.Tensor {
    const copy = this.backend.createOutputTensor(this.binding.ftuneCopy(this.ids([t])[0]));
    privateData.add(copy.dataId);
    return copy;
  }

  isPrivate(t: tf.Tensor): boolean {
    return privateData.has(t.dataId) && this.backend.refCount(t.dataId) === 1;
  }

  sumOfSquares(tensors: readonly tf.Tensor[]): number {
    return this.binding.ftuneSumSquares(this.ids(tensors));
  }

  adamW(
    params: readonly tf.Tensor[],
    grads: readonly tf.Tensor[],
    m: readonly tf.Tensor[],
    v: readonly tf.Tensor[],
    keep: readonly number[],
    s: FusedAdamWScalars,
  ): tf.Tensor[] {
    const written = [...params, ...m, ...v];
    const ids = this.ids(written);
    const n = params.length;
    const shared = this.binding.ftuneAdamW(ids.slice(0, n), this.ids(grads), ids.slice(n, 2 * n), ids.slice(2 * n), [...keep], [
      s.beta1,
      s.beta2,
      s.c1,
      s.c2,
      s.stepSize,
      s.epsHat,
    ]);
    const byId = new Map(ids.map((id, i) => [id, written[i]]));
    return shared.map((id) => byId.get(id) as tf.Tensor);
  }
}
