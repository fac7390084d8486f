// Detects what @tensorflow/tfjs-node-gpu 4.22 needs before it is worth loading: an NVIDIA GPU with its
// driver, and the CUDA 11 runtime and cuDNN 8 libraries it dlopens (libcudart.so.11.0, libcudnn.so.8;
// CUDA 12 libraries do not satisfy it). Probes only the filesystem and the loader cache; loads nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The shared libraries tfjs-node-gpu's libtensorflow 2.9 needs at run time. */
export const CUDA_LIBRARIES = ['libcuda.so.1', 'libcudart.so.11.0', 'libcublas.so.11', 'libcudnn.so.8'] as const;

export interface GpuProbe {
  exists(path: string): boolean;
  /** `ldconfig -p` output (the loader cache), or '' when unavailable. */
  loaderCache(): string;
  /** Whether `nvidia-smi -L` runs and lists a GPU. */
  nvidiaSmi(): boolean;
  env: NodeJS.ProcessEnv;
}

export interface GpuReport {
  /** An NVIDIA GPU and driver are present. */
  gpu: boolean;
  /** What showed the GPU (or that none was found). */
  evidence: string;
  /** CUDA_LIBRARIES that were not found. */
  missingLibraries: string[];
}

const LIBRARY_DIRS = [
  '/usr/local/cuda/lib64',
  '/usr/local/cuda-11.2/lib64',
  '/usr/local/nvidia/lib64',
  '/usr/lib/x86_64-linux-gnu',
  '/usr/lib64',
];

export const systemProbe: GpuProbe = {
  exists: existsSync,
  loaderCache() {
    for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
      const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 5000 });
      if (r.status === 0) return r.stdout;
    }
    return '';
  },
  nvidiaSmi() {
    const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 10_000 });
    return r.status === 0 && /GPU \d+/.test(r.stdout);
  },
  env: process.env,
};

export function detectGpu(probe: GpuProbe = systemProbe): GpuReport {
  let evidence = 'no NVIDIA GPU found (no /proc/driver/nvidia/version, no /dev/nvidia0, no working nvidia-smi)';
  let gpu = true;
  if (probe.exists('/proc/driver/nvidia/version')) evidence = 'NVIDIA driver loaded (/proc/driver/nvidia/version)';
  else if (probe.exists('/dev/nvidia0')) evidence = 'NVIDIA device node /dev/nvidia0';
  else if (probe.nvidiaSmi()) evidence = 'nvidia-smi lists a GPU';
  else gpu = false;
  if (!gpu) return { gpu, evidence, missingLibraries: [...CUDA_LIBRARIES] };

  const cache = probe.loaderCache();
  const dirs = [...(probe.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...LIBRARY_DIRS];
  const found = (lib: string) =>
    cache.split('\n').some((line) => line.trim().startsWith(`${lib} `)) || dirs.some((d) => probe.exists(join(d, lib)));
  return { gpu, evidence, missingLibraries: CUDA_LIBRARIES.filter((lib) => !found(lib)) };
}
