// OneHot for wasm: tfjs 4.22's wasm kernel writes the on/off values as int32 bits whatever the dtype, so a
// float32 one-hot holds 1.4e-45 instead of 1 (and a cross-entropy gradient softmax − onehot comes out wrong).
// This kernel fills the output in JS for every dtype; indices outside [0, depth) give an all-off row, as TF does.
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { type KernelConfig, OneHot, type OneHotAttrs, type TensorInfo } from '@tensorflow/tfjs-core';

export const oneHotWasm: KernelConfig = {
  kernelName: OneHot,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { indices } = inputs as { indices: TensorInfo };
    const { depth, onValue, offValue, dtype } = attrs as unknown as OneHotAttrs;
    const wasm = backend as BackendWasm;
    const out = wasm.makeOutput([...indices.shape, depth], dtype);
    const values = wasm.typedArrayFromHeap(out); // after the allocation, which may grow the heap
    const ids = wasm.typedArrayFromHeap(indices);
    values.fill(offValue);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (id >= 0 && id < depth) values[i * depth + id] = onValue;
    }
    return out;
  },
};
