// Loading a sharded folder keeps one copy of the model in memory: a child process (testing/load-peak.ts) loads a
// ~310 MB float32 folder of four shards, and its peak resident memory may grow past its baseline by the parameters'
// float32 size plus a margin for the tensor being read and garbage not yet collected. A loader that held the files'
// bytes (or all values read) beside the model would need twice the size, which the margin refuses.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueAt } from './testing/load-peak-folder';

const ROOT = path.join(__dirname, '..', '..', '..');
const CHILD = path.join(__dirname, 'testing', 'load-peak.ts');
const MARGIN = 1.5;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-load-peak-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function child(...args: string[]): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...args], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load-peak.ts ${args[0]} failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout;
}

describe('loading a sharded float32 folder of a few hundred MB', () => {
  it(`peaks below the baseline plus ${MARGIN} × the parameters' float32 size`, { timeout: 240_000 }, () => {
    const dir = path.join(tmp, 'model');
    child('write', dir);
    const shards = fs.readdirSync(dir).filter((f) => /^model-\d{5}-of-\d{5}\.safetensors$/.test(f));
    expect(shards.length).toBeGreaterThanOrEqual(3);
    const m = JSON.parse(child('load', dir).trim().split('\n').pop() as string) as {
      baselineBytes: number;
      peakBytes: number;
      f32Bytes: number;
      probe: { k: number; values: number[] };
    };
    expect(m.f32Bytes).toBeGreaterThan(250e6);
    expect(m.probe.values).toEqual([0, 1, 2, 3, 4].map((i) => valueAt(m.probe.k, i)));
    const grown = m.peakBytes - m.baselineBytes;
    expect(grown, `peak ${m.peakBytes} − baseline ${m.baselineBytes} against float32 size ${m.f32Bytes}`).toBeLessThan(MARGIN * m.f32Bytes);
    // The measure sees the model itself: resident memory grew by most of its size.
    expect(grown).toBeGreaterThan(0.8 * m.f32Bytes);
  });
});
