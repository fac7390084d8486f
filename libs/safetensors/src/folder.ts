// A model folder's weights: one model.safetensors, or shards listed by model.safetensors.index.json
// ({"metadata": {"total_size": bytes}, "weight_map": {name: file}}), as transformers' save_pretrained writes them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '@ftune/common';
import { DTYPE_BITS, type TensorInfo, elementCount } from './header';
import { type NamedTensor, SafetensorsReader, writeSafetensorsFile } from './file';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Tensors by name across one file or several shards; files are opened when first needed. */
export class WeightFolder {
  private readonly readers = new Map<string, SafetensorsReader>();

  private constructor(
    readonly dir: string,
    private readonly fileOf: Map<string, string>,
  ) {}

  static open(dir: string): WeightFolder {
    const index = path.join(dir, INDEX_FILE);
    if (fs.existsSync(index)) {
      let json: { weight_map?: Record<string, unknown> };
      try {
        json = JSON.parse(fs.readFileSync(index, 'utf8')) as typeof json;
      } catch (e) {
        throw new UserError(`${index}: not valid JSON (${(e as Error).message})`);
      }
      const map = json.weight_map;
      if (typeof map !== 'object' || map === null) throw new UserError(`${index}: no "weight_map" object`);
      const fileOf = new Map<string, string>();
      for (const [name, file] of Object.entries(map)) {
        if (typeof file !== 'string' || file.includes('/') || file.includes('\\')) throw new UserError(`${index}: bad shard file for "${name}": ${JSON.stringify(file)}`);
        if (!fs.existsSync(path.join(dir, file))) throw new UserError(`${index}: shard ${path.join(dir, file)} (listed for tensor "${name}") is missing`);
        fileOf.set(name, file);
      }
      const folder = new WeightFolder(dir, fileOf);
      try {
        for (const [name, file] of fileOf) {
          if (!folder.reader(file).header.tensors.has(name)) throw new UserError(`${index}: tensor "${name}" is listed in ${file}, but ${path.join(dir, file)} does not hold it`);
        }
        for (const file of new Set(fileOf.values())) {
          const names = folder.reader(file).names();
          for (const name of names) if (fileOf.get(name) !== file) throw new UserError(`${path.join(dir, file)}: tensor "${name}" is not listed for this shard in ${INDEX_FILE}`);
        }
      } catch (e) {
        folder.close(); // the shards opened so far
        throw e;
      }
      return folder;
    }
    const single = path.join(dir, SINGLE_FILE);
    if (!fs.existsSync(single)) {
      const hint = fs.existsSync(path.join(dir, 'pytorch_model.bin')) ? ' (only safetensors weights are read; pytorch_model.bin is not)' : '';
      throw new UserError(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}${hint}`);
    }
    const reader = SafetensorsReader.open(single);
    const folder = new WeightFolder(dir, new Map(reader.names().map((n) => [n, SINGLE_FILE])));
    folder.readers.set(SINGLE_FILE, reader);
    return folder;
  }

  private reader(file: string): SafetensorsReader {
    let r = this.readers.get(file);
    if (!r) {
      r = SafetensorsReader.open(path.join(this.dir, file));
      this.readers.set(file, r);
    }
    return r;
  }

  names(): string[] {
    return [...this.fileOf.keys()];
  }

  has(name: string): boolean {
    return this.fileOf.has(name);
  }

  private readerFor(name: string): SafetensorsReader {
    const file = this.fileOf.get(name);
    if (!file) throw new UserError(`${this.dir}: no tensor named "${name}"`);
    return this.reader(file);
  }

  info(name: string): TensorInfo {
    return this.readerFor(name).info(name);
  }

  /** The path of the file that holds `name` (for messages). */
  pathOf(name: string): string {
    return this.readerFor(name).name;
  }

  readFloat32(name: string): Float32Array {
    return this.readerFor(name).readFloat32(name);
  }

  close(): void {
    for (const r of this.readers.values()) r.close();
    this.readers.clear();
  }
}

function byteSize(t: NamedTensor): number {
  return (elementCount(t.shape) * DTYPE_BITS[t.dtype]) / 8;
}

/** Writes model.safetensors, or shards plus the index when the tensors exceed `maxShardBytes` (HF default 5 GB). */
export function writeWeights(dir: string, tensors: NamedTensor[], maxShardBytes = 5_000_000_000): string[] {
  const total = tensors.reduce((s, t) => s + byteSize(t), 0);
  for (const stale of [SINGLE_FILE, INDEX_FILE]) fs.rmSync(path.join(dir, stale), { force: true });
  if (total <= maxShardBytes) {
    writeSafetensorsFile(path.join(dir, SINGLE_FILE), tensors);
    return [SINGLE_FILE];
  }
  const shards: NamedTensor[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    if (size > 0 && size + byteSize(t) > maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1].push(t);
    size += byteSize(t);
  }
  const pad = (n: number) => String(n).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const files = shards.map((shard, i) => {
    const file = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
    writeSafetensorsFile(path.join(dir, file), shard);
    for (const t of shard) weightMap[t.name] = file;
    return file;
  });
  const sorted = Object.fromEntries(Object.entries(weightMap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  fs.writeFileSync(path.join(dir, INDEX_FILE), `${JSON.stringify({ metadata: { total_size: total }, weight_map: sorted }, null, 2)}\n`);
  return [...files, INDEX_FILE];
}
