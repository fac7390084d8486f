// UnsortedSegmentSum (the gradient kernel of tf.gather) for the wasm and cpu backends: one pass that adds row i
// of x into row segmentIds[i] of the output. wasm has no such kernel (an embedding cannot train there); cpu has
// one that loops over every segment (~72 ms per vocabulary row, an hour per step at vocab 50257).
// Follows TensorFlow's op: segmentIds' shape is a prefix of x's; ids outside [0, numSegments) are dropped.
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import {
  type KernelConfig,
  type TensorInfo,
  type TypedArray,
  UnsortedSegmentSum,
  type UnsortedSegmentSumAttrs,
  util,
} from '@tensorflow/tfjs-core';

/** out[(segmentIds[i]) * inner + j] += x[i * inner + j]; `out` must start zeroed. */
export function segmentSumInto(x: TypedArray, segmentIds: TypedArray, inner: number, out: TypedArray): void {
  const numSegments = out.length / Math.max(inner, 1);
  for (let i = 0; i < segmentIds.length; i++) {
    const s = segmentIds[i];
    if (s < 0 || s >= numSegments) continue;
    const from = i * inner;
    const to = s * inner;
    for (let j = 0; j < inner; j++) out[to + j] += x[from + j];
  }
}

function outShape(x: TensorInfo, segmentIds: TensorInfo, numSegments: number): number[] {
  const prefix = segmentIds.shape.length;
  if (segmentIds.dtype !== 'int32') throw new Error(`UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`);
  if (x.shape.slice(0, prefix).join(',') !== segmentIds.shape.join(',')) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] is not a prefix of x shape [${x.shape}]`);
  }
  return [numSegments, ...x.shape.slice(prefix)];
}

export const unsortedSegmentSumWasm: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
    const wasm = backend as BackendWasm;
    const shape = outShape(x, segmentIds, numSegments);
    const out = wasm.makeOutput(shape, x.dtype);
    // views into the wasm heap, taken after the allocation (which may grow the heap)
    const outValues = wasm.typedArrayFromHeap(out);
    outValues.fill(0);
    const inner = util.sizeFromShape(shape.slice(1));
    segmentSumInto(wasm.typedArrayFromHeap(x), wasm.typedArrayFromHeap(segmentIds), inner, outValues);
    return out;
  },
};

export const unsortedSegmentSumCpu: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: TensorInfo; segmentIds: TensorInfo };
    const { numSegments } = attrs as unknown as UnsortedSegmentSumAttrs;
    const cpu = backend as MathBackendCPU;
    const shape = outShape(x, segmentIds, numSegments);
    const size = util.sizeFromShape(shape);
    const outValues = x.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
    const xValues = cpu.data.get(x.dataId).values as TypedArray;
    const ids = cpu.data.get(segmentIds.dataId).values as TypedArray;
    segmentSumInto(xValues, ids, util.sizeFromShape(shape.slice(1)), outValues);
    return cpu.makeTensorInfo(shape, x.dtype, outValues);
  },
};
