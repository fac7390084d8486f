// Reading an ingested dataset back (trainer, evaluator): the records of one split, one at a time,
// and the manifest.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLines, UserError } from '@ftune/common';
import type { JsonObject } from '../records/record';
import type { SplitName } from '../split/split';
import { fileChunks } from '../readers/open';
import { SPLIT_FILES } from './ingest';
import type { Manifest } from './manifest';

/** The records of `split` in an ingested folder, in file order, streamed. */
export async function* readSplit(dir: string, split: SplitName): AsyncGenerator<JsonObject> {
  const file = path.join(dir, SPLIT_FILES[split]);
  if (!fs.existsSync(file))
    throw new UserError(`${file} not found: is ${dir} an ingested dataset (ftune ingest)?`);
  for await (const l of readLines(fileChunks(file))) {
    if (l.text === '') continue;
    try {
      yield JSON.parse(l.text) as JsonObject;
    } catch (e) {
      throw new UserError(`${file}:${l.number}: not JSON (${(e as Error).message})`);
    }
  }
}

/** The manifest.json of an ingested folder. */
export function readManifest(dir: string): Manifest {
  const file = path.join(dir, 'manifest.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as Error).message}`);
  }
}
