import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readRunpath, runpathDirs } from './elf';

const dir = mkdtempSync(join(tmpdir(), 'ftune-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A minimal ELF64 little-endian file with the sections the loader's search path lives in: a string table
 * and a .dynamic section holding `entries` ([tag, string]) and DT_NULL, then one entry past it that must be ignored.
 */
function elf(entries: Array<[number, string]>): Buffer {
  const strings = Buffer.concat([Buffer.from([0]), ...entries.map(([, s]) => Buffer.from(`${s}\0`))]);
  const dynamic = Buffer.alloc(16 * (entries.length + 2));
  let at = 1;
  entries.forEach(([tag, s], i) => {
    dynamic.writeBigInt64LE(BigInt(tag), i * 16);
    dynamic.writeBigUInt64LE(BigInt(at), i * 16 + 8);
    at += Buffer.byteLength(s) + 1;
  });
  dynamic.writeBigInt64LE(29n, (entries.length + 1) * 16); // after DT_NULL: not read
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  const stringsAt = 64;
  const dynamicAt = stringsAt + strings.length;
  const sectionsAt = dynamicAt + dynamic.length;
  header.writeBigUInt64LE(BigInt(sectionsAt), 0x28);
  header.writeUInt16LE(64, 0x3a);
  header.writeUInt16LE(3, 0x3c);
  const sections = Buffer.alloc(64 * 3); // null, .dynstr (type 3), .dynamic (type 6, linked to 1)
  const section = (i: number, type: number, offset: number, size: number, link: number) => {
    sections.writeUInt32LE(type, i * 64 + 4);
    sections.writeBigUInt64LE(BigInt(offset), i * 64 + 0x18);
    sections.writeBigUInt64LE(BigInt(size), i * 64 + 0x20);
    sections.writeUInt32LE(link, i * 64 + 0x28);
  };
  section(1, 3, stringsAt, strings.length, 0);
  section(2, 6, dynamicAt, dynamic.length, 1);
  return Buffer.concat([header, strings, dynamic, sections]);
}

function write(name: string, content: Buffer): string {
  mkdirSync(join(dir, 'deps', 'lib'), { recursive: true });
  const file = join(dir, 'deps', 'lib', name);
  writeFileSync(file, content);
  return file;
}

describe('readRunpath and runpathDirs', () => {
  it('reads DT_RUNPATH and expands $ORIGIN to the library’s folder, without repeats', () => {
    const file = write(
      'libtf.so.2',
      elf([
        [1, 'libc.so.6'],
        [29, '$ORIGIN/../nvidia/cudnn/lib:/opt/x:${ORIGIN}/../nvidia/cudnn/lib'],
      ]),
    );
    expect(readRunpath(file)).toBe('$ORIGIN/../nvidia/cudnn/lib:/opt/x:${ORIGIN}/../nvidia/cudnn/lib');
    expect(runpathDirs(file)).toEqual([join(dir, 'deps', 'nvidia', 'cudnn', 'lib'), '/opt/x']);
  });

  it('prefers DT_RUNPATH to DT_RPATH, as the loader does, and takes DT_RPATH alone', () => {
    expect(
      readRunpath(
        write(
          'both.so',
          elf([
            [15, '/rpath'],
            [29, '/runpath'],
          ]),
        ),
      ),
    ).toBe('/runpath');
    expect(readRunpath(write('rpath.so', elf([[15, '$ORIGIN']])))).toBe('$ORIGIN');
  });

  it('answers no folders for a library without a search path, and refuses a file that is no ELF64', () => {
    expect(runpathDirs(write('none.so', elf([[1, 'libc.so.6']])))).toEqual([]);
    expect(() =>
      readRunpath(write('text.so', Buffer.from('not an ELF file, only text in it'.repeat(4)))),
    ).toThrow(/is not a 64-bit little-endian ELF file/);
  });
});
