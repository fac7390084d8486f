// Rule-based output filter for generation: configured patterns either block an output (replaced by
// a fixed message) or rewrite the matching span. Patterns are regular expressions given as data.
import { UserError } from '@ftune/common';

export interface FilterRule {
  /** A JavaScript regular expression source, matched case-insensitively. */
  pattern: string;
  action: 'block' | 'rewrite';
  /** Replacement text for `rewrite` (may use $1…). */
  replacement?: string;
  /** Why the rule exists (shown in reports). */
  reason?: string;
}

export interface FilterResult {
  text: string;
  blocked: boolean;
  applied: string[];
}

export class OutputFilter {
  private readonly rules: Array<FilterRule & { re: RegExp }>;

  constructor(
    rules: FilterRule[],
    readonly blockedMessage = '[output withheld by the content filter]',
  ) {
    this.rules = rules.map((r, i) => {
      if (r.action !== 'block' && r.action !== 'rewrite')
        throw new UserError(`filter rule ${i}: action must be block or rewrite`);
      try {
        return { ...r, re: new RegExp(r.pattern, 'giu') };
      } catch (e) {
        throw new UserError(
          `filter rule ${i}: invalid pattern ${JSON.stringify(r.pattern)}: ${(e as Error).message}`,
        );
      }
    });
  }

  apply(text: string): FilterResult {
    let out = text;
    const applied: string[] = [];
    for (const r of this.rules) {
      r.re.lastIndex = 0;
      if (!r.re.test(out)) continue;
      applied.push(r.reason ?? r.pattern);
      if (r.action === 'block') return { text: this.blockedMessage, blocked: true, applied };
      r.re.lastIndex = 0;
      out = out.replace(r.re, r.replacement ?? '');
    }
    return { text: out, blocked: false, applied };
  }
}
