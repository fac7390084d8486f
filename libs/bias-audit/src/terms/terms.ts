// Demographic term lists as data: dimensions (gender, religion, …) with groups, their terms, and
// counterfactual swap pairs. Matching is whole-word; terms written in lower case match any case,
// capitalised terms (names, "Black") match as written. The built-in lists are data/terms.json.
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { readUserFile, UserError } from '@ftune/common';

export interface TermGroup {
  name: string;
  terms: string[];
}
export interface TermDimension {
  name: string;
  groups: TermGroup[];
  /** Pairs of terms from two different groups of this dimension that can replace each other. */
  swaps: Array<[string, string]>;
}
export interface TermLists {
  source?: string;
  dimensions: TermDimension[];
}

export const DEFAULT_TERMS_PATH = join(__dirname, '..', '..', 'data', 'terms.json');

/** Checks the shape of a term list and that every swap pair joins two groups of its dimension. */
export function validateTermLists(value: unknown, source = 'terms'): TermLists {
  const fail = (where: string, what: string): never => {
    throw new UserError(`${source}: ${where}: ${what}`);
  };
  const v = value as TermLists;
  if (!v || typeof v !== 'object' || !Array.isArray(v.dimensions) || v.dimensions.length === 0) {
    fail('dimensions', 'must be a non-empty list');
  }
  v.dimensions.forEach((d, i) => {
    const at = `dimensions[${i}]`;
    if (typeof d?.name !== 'string' || !d.name) fail(`${at}.name`, 'required');
    if (!Array.isArray(d.groups) || d.groups.length < 2) fail(`${at}.groups`, 'needs at least two groups');
    const owner = new Map<string, string>();
    d.groups.forEach((g, j) => {
      if (typeof g?.name !== 'string' || !g.name) fail(`${at}.groups[${j}].name`, 'required');
      if (!Array.isArray(g.terms) || g.terms.length === 0)
        fail(`${at}.groups[${j}].terms`, 'must be a non-empty list');
      for (const t of g.terms) {
        if (typeof t !== 'string' || !t.trim())
          fail(`${at}.groups[${j}].terms`, 'terms must be non-empty strings');
        owner.set(t.toLowerCase(), g.name);
      }
    });
    d.swaps = d.swaps ?? [];
    d.swaps.forEach((p, k) => {
      if (!Array.isArray(p) || p.length !== 2) fail(`${at}.swaps[${k}]`, 'must be a pair of terms');
      const [a, b] = p.map((t) => owner.get(String(t).toLowerCase()));
      if (!a || !b) fail(`${at}.swaps[${k}]`, `${JSON.stringify(p)} uses a term that is in no group`);
      if (a === b) fail(`${at}.swaps[${k}]`, `${JSON.stringify(p)} joins two terms of the same group`);
    });
  });
  return v;
}

/** Loads term lists from JSON or YAML (`file`), or the built-in lists. */
export function loadTermLists(file?: string): TermLists {
  const path = file ?? DEFAULT_TERMS_PATH;
  const text = readUserFile(path, 'term lists');
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path}: cannot parse: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateTermLists(raw, path);
}
