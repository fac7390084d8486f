// Strata for the split: one growable list of positions per label. Labels that only might be labels
// (the completion of prompt/completion data) are kept while the data looks like classification —
// at most MAX_AUTO_LABELS distinct values, each used by two records on average — otherwise all
// records form one stratum. A label given by --label-field is always used, however many values it has.
import { normalizeText } from '../dedup/hash';

/** Most distinct completion values for prompt/completion data to count as classification. */
export const MAX_AUTO_LABELS = 32;

class PositionList {
  data = new Uint32Array(16);
  length = 0;
  push(u: number): void {
    if (this.length === this.data.length) {
      const next = new Uint32Array(Math.ceil(this.data.length * 1.5));
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = u;
  }
  view(): Uint32Array {
    return this.data.subarray(0, this.length);
  }
}

export class Strata {
  private readonly index = new Map<string, number>();
  /** Raw label → normalized key, to skip normalizing the same few label strings again and again. */
  private readonly keys = new Map<string, string>();
  private readonly lists: PositionList[] = [];
  private merged = false;

  constructor(private readonly explicit: boolean) {}

  /** Adds a record's position under its label; returns the stratum index to spool with the record. */
  add(label: string | undefined, u: number): number {
    if (this.merged) return this.push(0, u);
    const key = label === undefined ? '' : this.keyOf(label);
    let k = this.index.get(key);
    if (k === undefined) {
      if (!this.explicit && this.index.size >= MAX_AUTO_LABELS) {
        this.mergeAll();
        return this.push(0, u);
      }
      k = this.index.size;
      this.index.set(key, k);
    }
    return this.push(k, u);
  }

  private keyOf(label: string): string {
    let key = this.keys.get(label);
    if (key === undefined) {
      key = normalizeText(label);
      if (this.keys.size < 4096) this.keys.set(label, key);
    }
    return key;
  }

  private push(k: number, u: number): number {
    while (this.lists.length <= k) this.lists.push(new PositionList());
    this.lists[k].push(u);
    return k;
  }

  private mergeAll(): void {
    const all = new PositionList();
    for (const list of this.lists) for (const u of list.view()) all.push(u);
    this.lists.length = 0;
    this.lists.push(all);
    this.index.clear();
    this.merged = true;
  }

  /** Called once at the end: drops auto labels that do not look like classification. */
  finish(records: number): void {
    if (
      !this.explicit &&
      !this.merged &&
      this.index.size > 0 &&
      (this.index.size > records / 2 || this.index.size < 2)
    )
      this.mergeAll();
  }

  /** Label names by stratum index, or null when records are not stratified by label. */
  labels(): string[] | null {
    if (this.merged || this.index.size === 0) return null;
    const names: string[] = [];
    for (const [name, k] of this.index) names[k] = name;
    return names;
  }

  /** Stratum of a spooled record (all records share stratum 0 once labels were dropped). */
  stratumOf(spooled: number): number {
    return this.merged ? 0 : spooled;
  }

  positions(k: number): Uint32Array {
    return this.lists[k]?.view() ?? new Uint32Array(0);
  }

  get count(): number {
    return this.lists.length;
  }
}
