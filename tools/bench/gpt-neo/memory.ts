// Peak resident memory of the GPT-Neo 125M preset through its life cycle, one fresh process per phase:
//   create  random init from the preset (seed 0) and save to a folder
//   load    load that folder, score one 128-token text (forward pass + loss), save it again
// Prints a table of peak RSS (getrusage maxrss) per phase against the 2 GiB bound.
// Usage: npx tsx tools/bench/gpt-neo/memory.ts [--keep DIR]   (FTUNE_BACKEND picks the backend, as everywhere)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeChoice, initBackend } from '@ftune/compute';
import { createModel, loadModel, saveModel } from '@ftune/model-gpt-neo';

const BOUND_MIB = 2048;

async function phase(name: string, dir: string): Promise<void> {
  const choice = await initBackend();
  const t0 = Date.now();
  let detail = '';
  if (name === 'create') {
    const model = createModel('gpt-neo-125m', 0);
    saveModel(model, dir);
    model.dispose();
  } else {
    const model = loadModel(dir);
    const T = 128;
    const ids = Int32Array.from({ length: T }, (_, i) => (i * 7919) % 50257);
    const loss = model.loss({ batchSize: 1, seqLen: T, inputIds: ids, labels: ids });
    saveModel(model, `${dir}-resaved`);
    model.dispose();
    detail = `loss ${loss.toFixed(4)} on ${T} tokens`;
  }
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ name, backend: choice.info.backend, peakMiB, seconds: (Date.now() - t0) / 1000, detail })}\n`);
  if (process.env.DEBUG_BACKEND) for (const l of describeChoice(choice)) process.stderr.write(`${l}\n`);
}

function main(): void {
  const [mode, dir] = process.argv.slice(2);
  if (mode === 'create' || mode === 'load') {
    phase(mode, dir).catch((e: unknown) => {
      process.stderr.write(`${String(e)}\n`);
      process.exitCode = 1;
    });
    return;
  }
  const keep = mode === '--keep' ? dir : undefined;
  const root = keep ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-mem-'));
  const folder = path.join(root, 'gpt-neo-125m');
  try {
    console.log('phase   backend     peak RSS (MiB)   bound (MiB)   seconds   detail');
    for (const p of ['create', 'load']) {
      const r = spawnSync(process.execPath, [...process.execArgv, __filename, p, folder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (r.status !== 0) throw new Error(`phase ${p} failed (exit ${r.status})`);
      const m = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { name: string; backend: string; peakMiB: number; seconds: number; detail: string };
      console.log(`${m.name.padEnd(8)}${m.backend.padEnd(12)}${m.peakMiB.toFixed(0).padStart(14)}${String(BOUND_MIB).padStart(14)}${m.seconds.toFixed(1).padStart(10)}   ${m.detail}`);
    }
    const size = fs.statSync(path.join(folder, 'model.safetensors')).size;
    console.log(`model.safetensors: ${(size / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    if (!keep) fs.rmSync(root, { recursive: true, force: true });
  }
}

main();
