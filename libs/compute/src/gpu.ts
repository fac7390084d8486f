// Detects what the native build needs to compute on a GPU before it is worth loading: an NVIDIA GPU with its
// driver's libcuda.so.1, and the CUDA 12 / cuDNN 9 libraries that libtensorflow 2.21 (the `tensorflow` wheel)
// dlopens, looked for where the dynamic loader will look: the library's own search path (deps/nvidia/<wheel>/lib,
// where `npm run install:cuda` links the pinned nvidia-*-cu12 wheels), LD_LIBRARY_PATH, the loader cache and the
// system folders (docs/backends.md). Probes only the filesystem and the loader cache; loads nothing.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runpathDirs } from './elf';

/** The driver's library: it comes with the NVIDIA driver on the host, never from a wheel. */
export const DRIVER_LIBRARY = 'libcuda.so.1';

/** The CUDA 12 / cuDNN 9 libraries TensorFlow 2.21 loads to register a GPU, each with its folder under nvidia/ (its wheel). */
export const CUDA_WHEEL_LIBRARIES: Readonly<Record<string, string>> = {
  'libcudart.so.12': 'cuda_runtime',
  'libcublas.so.12': 'cublas',
  'libcublasLt.so.12': 'cublas',
  'libcufft.so.11': 'cufft',
  'libcusolver.so.11': 'cusolver',
  'libcusparse.so.12': 'cusparse',
  'libnvJitLink.so.12': 'nvjitlink', // libcusparse and libcusolver need it
  'libcudnn.so.9': 'cudnn',
};

/** Every shared library the GPU path needs at run time. */
export const CUDA_LIBRARIES: readonly string[] = [DRIVER_LIBRARY, ...Object.keys(CUDA_WHEEL_LIBRARIES)];

/** The PyPI wheel that ships a CUDA library (`libcudnn.so.9` → `nvidia-cudnn-cu12`); undefined for the driver's. */
export function wheelOf(library: string): string | undefined {
  const folder = CUDA_WHEEL_LIBRARIES[library];
  return folder && `nvidia-${folder.replace(/_/g, '-')}-cu12`;
}

/** Folders the loader searches by default (besides its cache) on Debian/Ubuntu and RHEL-like systems. */
const SYSTEM_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

export interface GpuProbe {
  exists(path: string): boolean;
  /** `ldconfig -p` output (the loader cache), or '' when unavailable. */
  loaderCache(): string;
  /** Whether `nvidia-smi -L` runs and lists a GPU. */
  nvidiaSmi(): boolean;
  /** The search path (RUNPATH, $ORIGIN expanded) of the installed native build's libtensorflow; [] without one. */
  nativeSearchPath(): string[];
  env: NodeJS.ProcessEnv;
}

export interface GpuReport {
  /** An NVIDIA GPU and driver are present and visible to CUDA. */
  gpu: boolean;
  /** What showed the GPU (or that none was found, or that CUDA_VISIBLE_DEVICES hides it). */
  evidence: string;
  /** The nvidia/ folder the native build looks in for the CUDA wheels' libraries; undefined when it looks in none (a CPU-only build, or none installed). */
  wheelDir?: string;
  /** CUDA_LIBRARIES that were not found. */
  missingLibraries: string[];
  /** Where each library that was found is (a path, or `loader cache`). */
  found: Record<string, string>;
}

/** The installed @tensorflow/tfjs-node's libtensorflow libraries, when it is installed. */
function nativeLibraries(): string[] {
  let pkg: string;
  try {
    pkg = dirname(require.resolve('@tensorflow/tfjs-node/package.json'));
  } catch {
    return [];
  }
  return ['libtensorflow_framework.so.2', 'libtensorflow_cc.so.2'].map((f) => join(pkg, 'deps', 'lib', f)).filter((f) => existsSync(f));
}

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
  nativeSearchPath() {
    try {
      return [...new Set(nativeLibraries().flatMap(runpathDirs))];
    } catch {
      return [];
    }
  },
  env: process.env,
};

/** Why CUDA will see no device although one is present, when CUDA_VISIBLE_DEVICES says so ('' or a list starting with -1). */
function hiddenBy(env: NodeJS.ProcessEnv): string | undefined {
  const v = env.CUDA_VISIBLE_DEVICES;
  if (v === undefined) return undefined;
  return v.trim() === '' || v.trim().startsWith('-') ? `CUDA_VISIBLE_DEVICES=${v} hides every GPU` : undefined;
}

/** Where the loader would find each CUDA library (the driver's too), and the nvidia/ folder the native build looks in. */
export function findCudaLibraries(probe: GpuProbe = systemProbe): Pick<GpuReport, 'wheelDir' | 'missingLibraries' | 'found'> {
  const searchPath = probe.nativeSearchPath();
  // its search path names two nvidia/ folders ($ORIGIN/../nvidia and $ORIGIN/../../nvidia, for two Python layouts):
  // the one that exists, else deps/nvidia, where npm run install:cuda links the wheels
  const nvidiaDirs = [...new Set(searchPath.map((d) => /^(.*\/nvidia)\/[^/]+\/lib$/.exec(d)?.[1]).filter((d) => d !== undefined))];
  const wheelDir = nvidiaDirs.find((d) => probe.exists(d)) ?? nvidiaDirs.find((d) => d.endsWith('/deps/nvidia')) ?? nvidiaDirs[0];
  const cache = probe.loaderCache();
  const envDirs = (probe.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const found: Record<string, string> = {};
  for (const lib of CUDA_LIBRARIES) {
    const folder = CUDA_WHEEL_LIBRARIES[lib];
    const wheelDirs = folder ? [...searchPath, ...(wheelDir ? [join(wheelDir, folder, 'lib')] : [])] : [];
    const hit = [...wheelDirs, ...envDirs, ...SYSTEM_DIRS].map((d) => join(d, lib)).find((p) => probe.exists(p));
    if (hit) found[lib] = hit;
    else if (cache.split('\n').some((line) => line.trim().startsWith(`${lib} `))) found[lib] = 'loader cache';
  }
  return { wheelDir, missingLibraries: CUDA_LIBRARIES.filter((lib) => !(lib in found)), found };
}

/** The GPU, and (only where there is one, to keep a CPU machine's start cheap) the CUDA libraries. */
export function detectGpu(probe: GpuProbe = systemProbe): GpuReport {
  let evidence = 'no NVIDIA GPU found (no /proc/driver/nvidia/version, no /dev/nvidia0, no working nvidia-smi)';
  let gpu = true;
  if (probe.exists('/proc/driver/nvidia/version')) evidence = 'NVIDIA driver loaded (/proc/driver/nvidia/version)';
  else if (probe.exists('/dev/nvidia0')) evidence = 'NVIDIA device node /dev/nvidia0';
  else if (probe.nvidiaSmi()) evidence = 'nvidia-smi lists a GPU';
  else gpu = false;
  const hidden = gpu ? hiddenBy(probe.env) : undefined;
  if (hidden) [gpu, evidence] = [false, `${evidence}, but ${hidden}`];
  if (!gpu) return { gpu, evidence, missingLibraries: [...CUDA_LIBRARIES], found: {} };
  return { gpu, evidence, ...findCudaLibraries(probe) };
}

/** One line naming what is missing and where it was looked for, for a GPU that is present. */
export function describeMissing(report: GpuReport): string {
  const names = report.missingLibraries.map((lib) => (wheelOf(lib) ? `${lib} (${wheelOf(lib)})` : `${lib} (the NVIDIA driver's)`));
  const where = report.wheelDir
    ? `${report.wheelDir} (npm run install:cuda links the pinned CUDA 12 / cuDNN 9 wheels there)`
    : 'the native build (it is CPU-only or not installed: npm run install:native-tf builds the CUDA-enabled one)';
  return `${names.join(', ')} not found in ${where}, LD_LIBRARY_PATH, the loader cache or ${SYSTEM_DIRS.slice(0, 2).join(', ')}`;
}
