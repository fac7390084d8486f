// GPU probe: what ftune's backend chooser sees on this machine — the GPU, the CUDA 12 / cuDNN 9 libraries the
// native build (libtensorflow 2.21, GPU-enabled) needs and where each was found or looked for, and the backend it
// then chooses with its reasons. Bundled with tools/gpu-check/bundle.sh for machines that have a GPU but no
// workspace (docs/backends.md).
import { describeChoice, describeMissing, detectGpu, findCudaLibraries, initBackend } from '@ftune/compute';

async function main(): Promise<void> {
  const report = detectGpu();
  process.stdout.write(`gpu: ${JSON.stringify({ gpu: report.gpu, evidence: report.evidence })}\n`);
  // looked for even without a GPU: a machine can be readied before its GPU is there
  const libraries = { ...report, ...findCudaLibraries() };
  process.stdout.write(`cuda: ${JSON.stringify({ wheelDir: libraries.wheelDir, found: libraries.found })}\n`);
  if (libraries.missingLibraries.length > 0) process.stdout.write(`missing: ${describeMissing(libraries)}\n`);
  const choice = await initBackend();
  for (const line of describeChoice(choice)) process.stdout.write(`${line}\n`);
  process.stdout.write(`backend: ${JSON.stringify(choice.info)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`probe failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
