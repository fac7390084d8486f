// GPU probe: what ftune's backend chooser sees on this machine — the GPU, the CUDA 11 / cuDNN 8
// libraries tfjs-node-gpu needs, and the backend it then chooses with its reasons. Bundled into one
// file by tools/gpu-check/bundle.sh for machines that have a GPU but no node_modules.
import { describeChoice, detectGpu, initBackend } from '@ftune/compute';

async function main(): Promise<void> {
  process.stdout.write(`gpu: ${JSON.stringify(detectGpu())}\n`);
  const choice = await initBackend();
  for (const line of describeChoice(choice)) process.stdout.write(`${line}\n`);
  process.stdout.write(`backend: ${JSON.stringify(choice.info)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`probe failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
