import { describe, expect, it } from 'vitest';
import { CUDA_LIBRARIES, CUDA_WHEEL_LIBRARIES, describeMissing, detectGpu, type GpuProbe, wheelOf } from './gpu';

const DEPS = '/app/node_modules/@tensorflow/tfjs-node/deps';
/** The search path of the GPU-enabled libtensorflow_framework.so.2, $ORIGIN expanded (a part of it). */
const RUNPATH = ['cublas', 'cudnn', 'cufft', 'cusparse', 'cuda_runtime'].flatMap((w) => [
  `${DEPS}/../nvidia/${w}/lib`.replace('/deps/../', '/'),
  `${DEPS}/nvidia/${w}/lib`,
]);

function probe(
  files: string[],
  options: { ldconfig?: string; smi?: boolean; env?: NodeJS.ProcessEnv; searchPath?: string[] } = {},
): GpuProbe {
  return {
    exists: (p) => files.includes(p),
    loaderCache: () => options.ldconfig ?? '',
    nvidiaSmi: () => options.smi ?? false,
    nativeSearchPath: () => options.searchPath ?? RUNPATH,
    env: options.env ?? {},
  };
}

/** Every CUDA wheel library where `pip install --target` + the deps/nvidia link put it. */
const WHEEL_FILES = Object.entries(CUDA_WHEEL_LIBRARIES).map(([lib, folder]) => `${DEPS}/nvidia/${folder}/lib/${lib}`);
const DRIVER = '/usr/lib/x86_64-linux-gnu/libcuda.so.1';

describe('detectGpu', () => {
  it('reports no GPU when there is no driver, device node or nvidia-smi', () => {
    const r = detectGpu(probe([]));
    expect(r.gpu).toBe(false);
    expect(r.evidence).toMatch(/^no NVIDIA GPU found/);
  });

  it('finds the CUDA 12 / cuDNN 9 libraries in the wheels beside the native build, and the driver in the system', () => {
    const r = detectGpu(probe(['/proc/driver/nvidia/version', DRIVER, ...WHEEL_FILES]));
    expect(r).toMatchObject({ gpu: true, evidence: 'NVIDIA driver loaded (/proc/driver/nvidia/version)', wheelDir: `${DEPS}/nvidia` });
    expect(r.missingLibraries).toEqual([]);
    expect(r.found['libcudnn.so.9']).toBe(`${DEPS}/nvidia/cudnn/lib/libcudnn.so.9`);
    // not in the library's own search path, found beside the other wheels (libcusparse's dependency)
    expect(r.found['libnvJitLink.so.12']).toBe(`${DEPS}/nvidia/nvjitlink/lib/libnvJitLink.so.12`);
    expect(r.found['libcuda.so.1']).toBe(DRIVER);
  });

  it('names each missing library with the wheel that ships it, and the driver apart', () => {
    const files = ['/dev/nvidia0', ...WHEEL_FILES.filter((f) => !/cudnn|cublasLt/.test(f))];
    const r = detectGpu(probe(files));
    expect(r.evidence).toBe('NVIDIA device node /dev/nvidia0');
    expect(r.missingLibraries).toEqual(['libcuda.so.1', 'libcublasLt.so.12', 'libcudnn.so.9']);
    const line = describeMissing(r);
    expect(line).toContain("libcuda.so.1 (the NVIDIA driver's), libcublasLt.so.12 (nvidia-cublas-cu12), libcudnn.so.9 (nvidia-cudnn-cu12)");
    expect(line).toContain(`not found in ${DEPS}/nvidia (npm run install:cuda`);
  });

  it('does not take the CUDA 11 libraries of old images for the ones TensorFlow 2.21 needs', () => {
    const cuda11 = [
      '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1',
      '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0',
      '\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8',
    ].join('\n');
    const r = detectGpu(probe(['/proc/driver/nvidia/version'], { ldconfig: cuda11 }));
    expect(r.found).toEqual({ 'libcuda.so.1': 'loader cache' });
    expect(r.missingLibraries).toEqual(CUDA_LIBRARIES.filter((l) => l !== 'libcuda.so.1'));
  });

  it('looks in LD_LIBRARY_PATH and the loader cache too (a system CUDA 12 install)', () => {
    const dir = '/usr/local/cuda-12.9/lib64';
    const files = Object.keys(CUDA_WHEEL_LIBRARIES).map((lib) => `${dir}/${lib}`);
    const ldconfig = '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1';
    const r = detectGpu(probe(files, { smi: true, ldconfig, env: { LD_LIBRARY_PATH: `/nowhere:${dir}` } }));
    expect(r).toMatchObject({ gpu: true, evidence: 'nvidia-smi lists a GPU', missingLibraries: [] });
    expect(r.found['libcudart.so.12']).toBe(`${dir}/libcudart.so.12`);
  });

  it('says so when the native build is CPU-only (its search path names no CUDA wheel)', () => {
    const r = detectGpu(probe(['/proc/driver/nvidia/version', DRIVER], { searchPath: ['/x/deps/lib'] }));
    expect(r.wheelDir).toBeUndefined();
    expect(describeMissing(r)).toContain('not found in the native build (it is CPU-only or not installed');
  });

  it.each(['-1', '', ' -1,0'])('treats CUDA_VISIBLE_DEVICES=%j as no GPU', (value) => {
    const r = detectGpu(probe(['/proc/driver/nvidia/version', DRIVER, ...WHEEL_FILES], { env: { CUDA_VISIBLE_DEVICES: value } }));
    expect(r.gpu).toBe(false);
    expect(r.evidence).toBe(`NVIDIA driver loaded (/proc/driver/nvidia/version), but CUDA_VISIBLE_DEVICES=${value} hides every GPU`);
    expect(detectGpu(probe(['/proc/driver/nvidia/version'], { env: { CUDA_VISIBLE_DEVICES: '0' } })).gpu).toBe(true);
  });

  it('maps each library to its PyPI wheel', () => {
    expect(wheelOf('libcudart.so.12')).toBe('nvidia-cuda-runtime-cu12');
    expect(wheelOf('libnvJitLink.so.12')).toBe('nvidia-nvjitlink-cu12');
    expect(wheelOf('libcuda.so.1')).toBeUndefined();
  });
});
