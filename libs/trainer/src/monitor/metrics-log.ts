// metrics.jsonl: one JSON object per line, appended as training goes. On resume, lines logged after the
// checkpoint's step are dropped, since those steps are about to be run again.
import * as fs from 'node:fs';

export class MetricsLog {
  constructor(private readonly file: string) {}

  /** Keeps only records with step ≤ `step` (all records when the file is new). */
  truncateAfter(step: number): void {
    if (!fs.existsSync(this.file)) return;
    const kept = fs
      .readFileSync(this.file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => {
        const record = JSON.parse(line) as { step?: number };
        return (record.step ?? 0) <= step;
      });
    fs.writeFileSync(this.file, kept.map((l) => `${l}\n`).join(''));
  }

  reset(): void {
    fs.writeFileSync(this.file, '');
  }

  append(record: object): void {
    fs.appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}
