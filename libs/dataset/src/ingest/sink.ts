// Buffered, synchronous line writer with an optional running SHA-256 of what it wrote.
// Lines are UTF-8 encoded straight into one 1 MiB buffer, written out with one syscall when full.
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';

const SIZE = 1 << 20;

export class LineSink {
  private readonly fd: number;
  private buf = Buffer.allocUnsafe(SIZE);
  private used = 0;
  private readonly hash: Hash | undefined;
  lines = 0;

  constructor(
    readonly path: string,
    withHash = false,
  ) {
    this.fd = fs.openSync(path, 'w');
    this.hash = withHash ? createHash('sha256') : undefined;
  }

  /** Appends `line` and a newline. */
  write(line: string): void {
    const worst = line.length * 3 + 1;
    if (this.used + worst > this.buf.length) {
      this.flush();
      if (worst > this.buf.length) this.buf = Buffer.allocUnsafe(worst);
    }
    this.used += this.buf.write(line, this.used, 'utf8');
    this.buf[this.used++] = 0x0a;
    this.lines += 1;
  }

  /** Appends `bytes[start, end)` (one line's UTF-8 without its newline) and a newline. */
  writeBytes(bytes: Buffer, start: number, end: number): void {
    const need = end - start + 1;
    if (this.used + need > this.buf.length) {
      this.flush();
      if (need > this.buf.length) this.buf = Buffer.allocUnsafe(need);
    }
    bytes.copy(this.buf, this.used, start, end);
    this.used += need - 1;
    this.buf[this.used++] = 0x0a;
    this.lines += 1;
  }

  private flush(): void {
    if (this.used === 0) return;
    const out = this.buf.subarray(0, this.used);
    this.hash?.update(out);
    let off = 0;
    while (off < out.length) off += fs.writeSync(this.fd, out, off);
    this.used = 0;
    if (this.buf.length > SIZE) this.buf = Buffer.allocUnsafe(SIZE);
  }

  /** Flushes, closes and returns the hex SHA-256 of everything written ('' without hashing). */
  close(): string {
    this.flush();
    fs.closeSync(this.fd);
    return this.hash?.digest('hex') ?? '';
  }
}
