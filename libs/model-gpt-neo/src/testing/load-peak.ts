// The child process of load-memory.spec.ts, so that its peak resident memory is the load's alone:
//   write DIR   writes the folder of ./load-peak-folder.ts
//   load DIR    loads it (CPU backend) and prints one JSON line: resident memory before, peak after, the parameters'
//               float32 size, and a few loaded values to check against the formula
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadModel } from '../io';
import { parameterSpecs } from '../model';
import { CONFIG, writePeakFolder } from './load-peak-folder';

async function load(dir: string): Promise<void> {
  await tf.setBackend('cpu');
  const baselineBytes = process.memoryUsage().rss;
  const model = loadModel(dir);
  const peakBytes = process.resourceUsage().maxRSS * 1024;
  const specs = parameterSpecs(CONFIG);
  const f32Bytes = specs.reduce((s, spec) => s + spec.hfShape.reduce((a, b) => a * b, 1) * 4, 0);
  const k = specs.findIndex((s) => s.name === 'transformer.h.9.attn.attention.out_proj.bias');
  const probe = { k, values: Array.from(model.param(specs[k].name).dataSync().subarray(0, 5)) };
  model.dispose();
  process.stdout.write(`${JSON.stringify({ baselineBytes, peakBytes, f32Bytes, probe })}\n`);
}

const [mode, dir] = process.argv.slice(2);
if (mode === 'write') writePeakFolder(dir);
else if (mode === 'load') {
  load(dir).catch((e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exitCode = 1;
  });
} else {
  process.stderr.write('usage: load-peak.ts write|load DIR\n');
  process.exitCode = 2;
}
