import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSpool, SpoolWriter } from './spool';

describe('spool', () => {
  it('returns every record with its stratum and position, across buffer boundaries and for huge records', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-spool-')), 'spool');
    const lines = Array.from({ length: 30000 }, (_, i) => `{"text":"record ${i} ${'é'.repeat(i % 300)}"}`);
    lines.splice(12345, 0, 'x'.repeat(5 << 20));
    const w = new SpoolWriter(file);
    lines.forEach((l, i) => w.write(i % 7, i * 1.5, l));
    w.close();
    const back: string[] = [];
    readSpool(file, (stratum, position, bytes, start, end) => {
      const i = back.length;
      expect([stratum, position]).toEqual([i % 7, i * 1.5]);
      back.push(bytes.toString('utf8', start, end));
    });
    expect(back).toEqual(lines);
    fs.rmSync(path.dirname(file), { recursive: true });
  });
});
