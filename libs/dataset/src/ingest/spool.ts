// The spool between the two passes of ingestion: accepted records as they will be written out, each
// behind a 16-byte header (byte length, stratum, split position), so that pass 2 copies bytes into
// the split files without decoding or re-encoding text.
import * as fs from 'node:fs';

const HEADER = 16;
const SIZE = 1 << 20;

export class SpoolWriter {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(SIZE);
  private used = 0;
  records = 0;

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w');
  }

  write(stratum: number, position: number, line: string): void {
    const worst = HEADER + line.length * 3;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    const n = this.buf.write(line, this.used + HEADER, 'utf8');
    this.buf.writeUInt32LE(n, this.used);
    this.buf.writeUInt32LE(stratum, this.used + 4);
    this.buf.writeDoubleLE(position, this.used + 8);
    this.used += HEADER + n;
    this.records += 1;
  }

  private flush(): void {
    let off = 0;
    while (off < this.used) off += fs.writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    this.flush();
    fs.closeSync(this.fd);
  }
}

/** Calls `each(stratum, position, bytes, start, end)` for every spooled record, in order. */
export function readSpool(
  path: string,
  each: (stratum: number, position: number, bytes: Buffer, start: number, end: number) => void,
): void {
  const fd = fs.openSync(path, 'r');
  let buf = Buffer.allocUnsafe(SIZE);
  let have = 0; // bytes in buf
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, have, buf.length - have, null);
      have += n;
      let at = 0;
      while (at + HEADER <= have) {
        const length = buf.readUInt32LE(at);
        if (at + HEADER + length > have) break;
        each(buf.readUInt32LE(at + 4), buf.readDoubleLE(at + 8), buf, at + HEADER, at + HEADER + length);
        at += HEADER + length;
      }
      if (n === 0) {
        if (at !== have) throw new Error(`spool ${path} ends inside a record`);
        return;
      }
      // keep the partial record at the front; grow for a record larger than the buffer
      const rest = have - at;
      const need = rest >= HEADER ? HEADER + buf.readUInt32LE(at) : HEADER;
      const next = need > buf.length ? Buffer.allocUnsafe(need) : buf;
      buf.copy(next, 0, at, have);
      buf = next;
      have = rest;
    }
  } finally {
    fs.closeSync(fd);
  }
}
