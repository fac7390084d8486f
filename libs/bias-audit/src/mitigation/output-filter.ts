// Rule-based output filter for generation: configured patterns either block an output (replaced by
// a fixed message) or rewrite the matching span. Patterns are user data, so they are compiled by
// re2js (a JavaScript port of RE2): matching takes time linear in the text whatever the pattern, and
// constructs that need backtracking (backreferences, lookahead) are refused when the rule is read.
import { RE2JS } from 're2js';
import { UserError } from '@ftune/common';

export interface FilterRule {
  /** An RE2 regular expression (JavaScript syntax without backreferences or lookaround), matched case-insensitively. */
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

/** Longest pattern accepted; RE2 also refuses patterns whose compiled program is too large. */
export const MAX_FILTER_PATTERN_LENGTH = 1000;

/** Compiles one filter pattern, or throws an Error saying why it is refused (no field name). */
export function compileFilterPattern(pattern: string): RE2JS {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new Error('must be a non-empty string');
  if (pattern.length > MAX_FILTER_PATTERN_LENGTH)
    throw new Error(`is ${pattern.length} characters long, over the limit of ${MAX_FILTER_PATTERN_LENGTH}`);
  try {
    return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (e) {
    throw new Error(
      `invalid pattern ${JSON.stringify(pattern)}: ${(e as Error).message} (RE2 syntax: no backreferences or lookaround)`,
    );
  }
}

export class OutputFilter {
  private readonly rules: Array<FilterRule & { re: RE2JS }>;

  constructor(
    rules: FilterRule[],
    readonly blockedMessage = '[output withheld by the content filter]',
  ) {
    this.rules = rules.map((r, i) => {
      if (r.action !== 'block' && r.action !== 'rewrite')
        throw new UserError(`filter rule ${i}: action must be block or rewrite`);
      try {
        return { ...r, re: compileFilterPattern(r.pattern) };
      } catch (e) {
        throw new UserError(`filter rule ${i}: pattern ${(e as Error).message}`);
      }
    });
  }

  apply(text: string): FilterResult {
    let out = text;
    const applied: string[] = [];
    for (const r of this.rules) {
      if (!r.re.matcher(out).find()) continue;
      applied.push(r.reason ?? r.pattern);
      if (r.action === 'block') return { text: this.blockedMessage, blocked: true, applied };
      out = r.re.matcher(out).replaceAll(r.replacement ?? '');
    }
    return { text: out, blocked: false, applied };
  }
}
