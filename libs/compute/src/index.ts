// @ftune/compute — TensorFlow.js backend chooser: native on a GPU, native on the CPU, wasm, cpu.
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
export {
  CUDA_LIBRARIES,
  CUDA_WHEEL_LIBRARIES,
  DRIVER_LIBRARY,
  type GpuProbe,
  type GpuReport,
  describeMissing,
  detectGpu,
  findCudaLibraries,
  wheelOf,
} from './gpu';
export { readRunpath, runpathDirs } from './elf';
export { registerKernelFixes } from './kernels';
