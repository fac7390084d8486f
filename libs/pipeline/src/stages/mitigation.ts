// Bias mitigations applied to the training data by the train stage (audit.mitigation):
// - reweight: AIF360 reweighing weights over group × label of one term-list dimension, fed to the
//   loss as per-example weights (CollatedBatch.exampleWeights through the trainer);
// - augment: counterfactual data augmentation, a group-swapped copy of each training example that
//   mentions a group, written as a new dataset folder (validation and test stay as ingested).
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  auditDataset,
  counterfactualAugment,
  loadTermLists,
  reweigh,
  TermMatcher,
  type Reweighing,
} from '@ftune/bias-audit';
import { UserError } from '@ftune/common';
import { readManifest, readSplit, type JsonObject, type Manifest } from '@ftune/dataset';
import { recordToExample } from '@ftune/eval';
import type { RunConfig } from '../config';

export interface MitigationReport {
  kind: RunConfig['audit']['mitigation'];
  dimension: string | null;
  /** reweight: group × label cells with their counts and weights. */
  cells?: Reweighing['cells'];
  /** augment: training records before and after. */
  records?: { before: number; added: number; after: number };
}

async function trainRecords(dir: string): Promise<JsonObject[]> {
  const out: JsonObject[] = [];
  for await (const r of readSplit(dir, 'train')) out.push(r);
  return out;
}

/** The dimension to balance: the configured one, else the one with the largest label gap in the data. */
function pickDimension(records: JsonObject[], matcher: TermMatcher, wanted?: string): string {
  const names = matcher.lists.dimensions.map((d) => d.name);
  if (wanted !== undefined) {
    if (!names.includes(wanted))
      throw new UserError(
        `audit.dimension: ${JSON.stringify(wanted)} is not a dimension of the term lists (${names.join(', ')})`,
      );
    return wanted;
  }
  const audit = auditDataset(
    records.map((r) => {
      const e = recordToExample(r);
      return { text: e.prompt, label: e.completion.trim() };
    }),
    matcher,
  );
  const ranked = audit.dimensions
    .filter((d) => d.gaps.length > 0)
    .sort((a, b) => b.gaps[0].gap - a.gaps[0].gap);
  if (ranked.length === 0)
    throw new UserError(
      'audit.mitigation: no group of the term lists occurs with two labels in the training data; nothing to balance',
    );
  return ranked[0].dimension;
}

/** Per-record loss weights of the train split (index = line order of train.jsonl). */
export async function reweighTrainSplit(
  datasetDir: string,
  cfg: RunConfig,
): Promise<{ weights: number[]; report: MitigationReport }> {
  const matcher = new TermMatcher(loadTermLists(cfg.audit.terms));
  const records = await trainRecords(datasetDir);
  const dimension = pickDimension(records, matcher, cfg.audit.dimension);
  const items = records.map((r) => {
    const e = recordToExample(r);
    const groups = matcher.groupsMentioned(e.prompt).get(dimension);
    return { group: groups && groups.size === 1 ? [...groups][0] : null, label: e.completion.trim() };
  });
  const { weights, cells } = reweigh(items);
  return { weights, report: { kind: 'reweight', dimension, cells } };
}

/** Writes `outDir` as a dataset folder whose train split holds counterfactual copies as well. */
export async function augmentTrainSplit(
  datasetDir: string,
  outDir: string,
  cfg: RunConfig,
): Promise<MitigationReport> {
  const matcher = new TermMatcher(loadTermLists(cfg.audit.terms));
  const records = await trainRecords(datasetDir);
  const dimension = pickDimension(records, matcher, cfg.audit.dimension);
  const field = (r: JsonObject): 'prompt' | 'input' | 'text' =>
    typeof r.prompt === 'string' ? 'prompt' : typeof r.input === 'string' ? 'input' : 'text';
  const { records: augmented, added } = counterfactualAugment(
    records,
    (r) => String(r[field(r)] ?? ''),
    (r, text) => ({ ...r, [field(r)]: text }),
    matcher,
    { dimensions: [dimension] },
  );
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(
    path.join(outDir, 'train.jsonl'),
    augmented.map((r) => JSON.stringify(r)).join('\n') + '\n',
  );
  for (const f of ['validation.jsonl', 'test.jsonl']) {
    const src = path.join(datasetDir, f);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(outDir, f));
  }
  const manifest: Manifest = readManifest(datasetDir);
  manifest.splits.train = { ...manifest.splits.train, records: augmented.length };
  manifest.warnings = [
    ...manifest.warnings,
    `train split augmented with ${added} counterfactual copies (${dimension})`,
  ];
  fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return { kind: 'augment', dimension, records: { before: records.length, added, after: augmented.length } };
}
