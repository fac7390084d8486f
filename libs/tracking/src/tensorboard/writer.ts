// A TensorBoard event file writer for scalars: events.out.tfevents.<seconds>.<host>.<pid>.<n> in the
// given folder (one file per writer, as TensorFlow's and PyTorch's writers do; TensorBoard reads every
// file of a folder as one run), the file-version record first, then one record per logged step.
// Records are appended synchronously, so a killed process leaves every step it logged readable.
// Not here: images, histograms, text, graphs — ftune logs scalars only.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileVersionEvent, scalarsEvent } from './event';
import { frameRecord } from './record';

let filesOpened = 0;

export class TensorBoardWriter {
  readonly file: string;
  private fd: number | null;

  constructor(
    dir: string,
    private readonly now: () => number = Date.now,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(now() / 1000);
    const host = os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_');
    this.file = path.join(dir, `events.out.tfevents.${seconds}.${host}.${process.pid}.${filesOpened++}`);
    this.fd = fs.openSync(this.file, 'a');
    this.append(fileVersionEvent(now() / 1000));
  }

  /** Logs `values` (tag → number) at `step`; finite or not, as TensorBoard shows them. */
  scalars(step: number, values: Record<string, number>, wallTimeMs = this.now()): void {
    if (Object.keys(values).length === 0) return;
    this.append(scalarsEvent(wallTimeMs / 1000, step, values));
  }

  close(): void {
    if (this.fd === null) return;
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private append(event: Buffer): void {
    if (this.fd === null) throw new Error(`TensorBoard writer for ${this.file} is closed`);
    fs.writeSync(this.fd, frameRecord(event));
  }
}
