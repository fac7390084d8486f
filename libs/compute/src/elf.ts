// Reads the library search path (DT_RUNPATH, else DT_RPATH) of an ELF64 little-endian shared library, the
// way the dynamic loader sees it, through the section headers (.dynamic and its string table). Reads only
// the headers and the two sections, never the whole file. Linux x86-64 only, as the native build is.
import { closeSync, openSync, readSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const DT_NULL = 0n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const SHT_DYNAMIC = 6;

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, offset);
  if (n !== length) throw new Error(`short read at ${offset} (${n} of ${length} bytes)`);
  return buf;
}

/** The raw DT_RUNPATH (or DT_RPATH) string of `file`, '' when it has none; throws when it is no ELF64 LE file. */
export function readRunpath(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const header = readAt(fd, 0, 64);
    if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header[5] !== 1) {
      throw new Error(`${file} is not a 64-bit little-endian ELF file`);
    }
    const shoff = Number(header.readBigUInt64LE(0x28));
    const shentsize = header.readUInt16LE(0x3a);
    const shnum = header.readUInt16LE(0x3c);
    const sections = readAt(fd, shoff, shentsize * shnum);
    const section = (i: number) => ({
      type: sections.readUInt32LE(i * shentsize + 4),
      offset: Number(sections.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(sections.readBigUInt64LE(i * shentsize + 0x20)),
      link: sections.readUInt32LE(i * shentsize + 0x28),
    });
    for (let i = 0; i < shnum; i++) {
      const dyn = section(i);
      if (dyn.type !== SHT_DYNAMIC) continue;
      const strtab = section(dyn.link);
      const entries = readAt(fd, dyn.offset, dyn.size);
      let rpath: bigint | undefined;
      let runpath: bigint | undefined;
      for (let at = 0; at + 16 <= entries.length; at += 16) {
        const tag = entries.readBigInt64LE(at);
        if (tag === DT_NULL) break;
        if (tag === DT_RUNPATH) runpath = entries.readBigUInt64LE(at + 8);
        if (tag === DT_RPATH) rpath = entries.readBigUInt64LE(at + 8);
      }
      const at = runpath ?? rpath;
      if (at === undefined) return '';
      const strings = readAt(fd, strtab.offset, strtab.size);
      const end = strings.indexOf(0, Number(at));
      return strings.toString('utf8', Number(at), end < 0 ? strings.length : end);
    }
    return '';
  } finally {
    closeSync(fd);
  }
}

/** The folders the loader searches for the libraries `file` loads: its search path with $ORIGIN expanded, without repeats. */
export function runpathDirs(file: string): string[] {
  const origin = dirname(file);
  const dirs = readRunpath(file)
    .split(':')
    .filter(Boolean)
    .map((d) => resolve(d.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin)));
  return [...new Set(dirs)];
}
