// Finding group mentions in text and swapping them for their counterparts (counterfactuals).
// Whole-word matching with Unicode letters and digits as word characters.
import type { TermDimension, TermLists } from './terms';

export interface Mention {
  dimension: string;
  group: string;
  term: string;
  index: number;
  length: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isLowerTerm = (t: string) => t === t.toLowerCase();

interface CompiledTerm {
  dimension: string;
  group: string;
  term: string;
  re: RegExp;
}

/** A compiled matcher over term lists. */
export class TermMatcher {
  private readonly terms: CompiledTerm[] = [];
  /** dimension → lower-cased term → partner terms by group */
  private readonly partners = new Map<string, Map<string, Map<string, string>>>();

  constructor(readonly lists: TermLists) {
    for (const d of lists.dimensions) {
      for (const g of d.groups) {
        for (const term of g.terms) {
          const flags = isLowerTerm(term) ? 'giu' : 'gu';
          const re = new RegExp(`(?<![\\p{L}\\p{N}_'-])${escape(term)}(?![\\p{L}\\p{N}_-])`, flags);
          this.terms.push({ dimension: d.name, group: g.name, term, re });
        }
      }
      this.partners.set(d.name, buildPartners(d));
    }
  }

  /** Every mention in `text`, left to right; overlapping shorter terms inside longer ones are dropped. */
  mentions(text: string): Mention[] {
    const found: Mention[] = [];
    for (const t of this.terms) {
      t.re.lastIndex = 0;
      for (let m = t.re.exec(text); m; m = t.re.exec(text)) {
        found.push({
          dimension: t.dimension,
          group: t.group,
          term: t.term,
          index: m.index,
          length: m[0].length,
        });
      }
    }
    found.sort((a, b) => a.index - b.index || b.length - a.length);
    const out: Mention[] = [];
    let end = -1;
    for (const m of found) {
      if (m.index >= end) {
        out.push(m);
        end = m.index + m.length;
      }
    }
    return out;
  }

  /** Groups mentioned in `text`, per dimension. */
  groupsMentioned(text: string): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const m of this.mentions(text)) {
      const s = out.get(m.dimension) ?? new Set<string>();
      s.add(m.group);
      out.set(m.dimension, s);
    }
    return out;
  }

  /**
   * Counterfactuals of `text` for one dimension: for each other group, every mention of that dimension
   * replaced by its partner in the target group. A variant is produced only when every mention has a partner.
   */
  counterfactuals(text: string, dimension: string): Array<{ from: string; to: string; text: string }> {
    const mentions = this.mentions(text).filter((m) => m.dimension === dimension);
    if (mentions.length === 0) return [];
    const partners = this.partners.get(dimension);
    const dim = this.lists.dimensions.find((d) => d.name === dimension);
    if (!partners || !dim) return [];
    const fromGroups = new Set(mentions.map((m) => m.group));
    const out: Array<{ from: string; to: string; text: string }> = [];
    for (const target of dim.groups) {
      if (fromGroups.has(target.name) && fromGroups.size === 1) continue;
      let result = '';
      let last = 0;
      let ok = true;
      for (const m of mentions) {
        const original = text.slice(m.index, m.index + m.length);
        const replacement =
          m.group === target.name ? original : partners.get(m.term.toLowerCase())?.get(target.name);
        if (replacement === undefined) {
          ok = false;
          break;
        }
        result += text.slice(last, m.index) + matchCase(original, replacement);
        last = m.index + m.length;
      }
      if (!ok) continue;
      result += text.slice(last);
      if (result !== text) out.push({ from: [...fromGroups].join('+'), to: target.name, text: result });
    }
    return out;
  }
}

function buildPartners(d: TermDimension): Map<string, Map<string, string>> {
  const groupOf = new Map<string, string>();
  for (const g of d.groups) for (const t of g.terms) groupOf.set(t.toLowerCase(), g.name);
  const partners = new Map<string, Map<string, string>>();
  const add = (a: string, b: string) => {
    const gb = groupOf.get(b.toLowerCase());
    if (!gb) return;
    const m = partners.get(a.toLowerCase()) ?? new Map<string, string>();
    if (!m.has(gb)) m.set(gb, b); // the first pair listed wins (e.g. her → his, not him)
    partners.set(a.toLowerCase(), m);
  };
  for (const [a, b] of d.swaps) {
    add(a, b);
    add(b, a);
  }
  return partners;
}

/** Gives `replacement` the capitalisation pattern of `original` (UPPER, Capitalised, lower). */
export function matchCase(original: string, replacement: string): string {
  if (original.length > 1 && original === original.toUpperCase() && original !== original.toLowerCase()) {
    return replacement.toUpperCase();
  }
  const first = original[0];
  if (first && first === first.toUpperCase() && first !== first.toLowerCase()) {
    return replacement[0].toUpperCase() + replacement.slice(1);
  }
  return replacement;
}
