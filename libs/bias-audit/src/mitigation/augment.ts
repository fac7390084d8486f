// Counterfactual data augmentation (two-sided CDA): keep every original example and add a copy in
// which the group terms of one dimension are swapped for their counterparts, with the same label, so
// the model sees both variants. Swaps are word-list based and can break grammar (her → his/him);
// copies identical to an original are not added twice.
import type { TermMatcher } from '../terms/match';

export interface AugmentOptions {
  /** Dimensions to swap (default: every dimension of the term lists). */
  dimensions?: string[];
}

export function counterfactualAugment<T>(
  records: T[],
  getText: (r: T) => string,
  withText: (r: T, text: string) => T,
  matcher: TermMatcher,
  options: AugmentOptions = {},
): { records: T[]; added: number } {
  const dims = options.dimensions ?? matcher.lists.dimensions.map((d) => d.name);
  const seen = new Set(records.map(getText));
  const out = [...records];
  let added = 0;
  for (const r of records) {
    for (const d of dims) {
      for (const cf of matcher.counterfactuals(getText(r), d)) {
        if (seen.has(cf.text)) continue;
        seen.add(cf.text);
        out.push(withText(r, cf.text));
        added += 1;
      }
    }
  }
  return { records: out, added };
}
