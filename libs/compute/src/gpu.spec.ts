import { describe, expect, it } from 'vitest';
import { CUDA_LIBRARIES, detectGpu, type GpuProbe } from './gpu';

function probe(files: string[], options: { ldconfig?: string; smi?: boolean; env?: NodeJS.ProcessEnv } = {}): GpuProbe {
  return {
    exists: (p) => files.includes(p),
    loaderCache: () => options.ldconfig ?? '',
    nvidiaSmi: () => options.smi ?? false,
    env: options.env ?? {},
  };
}

const LDCONFIG = [
  '\t1234 libs found in cache `/etc/ld.so.cache\'',
  '\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1',
  '\tlibcudart.so.11.0 (libc6,x86-64) => /usr/local/cuda/lib64/libcudart.so.11.0',
  '\tlibcublas.so.11 (libc6,x86-64) => /usr/local/cuda/lib64/libcublas.so.11',
  '\tlibcudnn.so.8 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcudnn.so.8',
].join('\n');

describe('detectGpu', () => {
  it('reports no GPU when there is no driver, device node or nvidia-smi', () => {
    const r = detectGpu(probe([]));
    expect(r.gpu).toBe(false);
    expect(r.evidence).toMatch(/^no NVIDIA GPU found/);
  });

  it('finds the GPU by its driver and the CUDA 11 libraries in the loader cache', () => {
    expect(detectGpu(probe(['/proc/driver/nvidia/version'], { ldconfig: LDCONFIG }))).toEqual({
      gpu: true,
      evidence: 'NVIDIA driver loaded (/proc/driver/nvidia/version)',
      missingLibraries: [],
    });
  });

  it('names the libraries a CUDA 12 machine lacks', () => {
    const cuda12 = LDCONFIG.replace(/libcudart\.so\.11\.0/g, 'libcudart.so.12').replace(/libcudnn\.so\.8/g, 'libcudnn.so.9');
    const r = detectGpu(probe(['/dev/nvidia0'], { ldconfig: cuda12 }));
    expect(r.evidence).toBe('NVIDIA device node /dev/nvidia0');
    expect(r.missingLibraries).toEqual(['libcudart.so.11.0', 'libcudnn.so.8']);
  });

  it('looks in LD_LIBRARY_PATH when the loader cache lacks the libraries', () => {
    const dir = '/opt/cuda11/lib';
    const files = CUDA_LIBRARIES.map((lib) => `${dir}/${lib}`);
    const r = detectGpu(probe(files, { smi: true, env: { LD_LIBRARY_PATH: `/nowhere:${dir}` } }));
    expect(r).toEqual({ gpu: true, evidence: 'nvidia-smi lists a GPU', missingLibraries: [] });
  });
});
