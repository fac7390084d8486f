// @ftune/compute — TensorFlow.js backend chooser: tfjs-node-gpu, tfjs-node, wasm, cpu.
export {
  type BackendInfo,
  type BackendName,
  BackendUnavailable,
  CANDIDATES,
  type Candidate,
  backendInfo,
  loadBackend,
} from './backends';
export {
  type BackendChoice,
  type InitBackendOptions,
  type SkippedBackend,
  chooseBackend,
  describeChoice,
  initBackend,
  parseBackendName,
} from './chooser';
export { CUDA_LIBRARIES, type GpuProbe, type GpuReport, detectGpu } from './gpu';
export { registerKernelFixes } from './kernels';
