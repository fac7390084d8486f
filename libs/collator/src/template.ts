// Response / instruction templates: how a template given by the user becomes ids, and how ids are
// found in a row of labels. Matching follows trl 0.19.1 DataCollatorForCompletionOnlyLM: by token ids,
// scanning labels (so a template containing the pad id never matches when pad positions are -100).

import type { TemplateTokenizer } from './tokenizer';

/**
 * A template as the user gives it:
 * - a string, encoded on its own (trl's behaviour; " ### Answer:" and "### Answer:" differ for GPT-2);
 * - ids, used as they are;
 * - `{ text, context }`: the ids of `text` as it tokenizes after `context` — trl's documented
 *   ids-with-context trick (`encode("\n### Assistant:")[1:]`) without counting context tokens by hand.
 */
export type TemplateSpec = string | readonly number[] | { text: string; context: string };

export interface Template {
  ids: number[];
  /** How messages name it: the string, or the id list as trl prints it. */
  label: string;
  /** The template's text, when known (used by the template-in-context check). */
  text?: string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

export function resolveTemplate(spec: TemplateSpec, tokenizer?: TemplateTokenizer): Template {
  let template: Template;
  if (isIdList(spec)) {
    template = { ids: [...spec], label: `[${spec.join(', ')}]`, text: tokenizer?.decode(spec) };
  } else if (!tokenizer) {
    throw new TemplateError('a template given as text needs a tokenizer');
  } else if (typeof spec === 'string') {
    template = { ids: tokenizer.encodeIds(spec), label: spec, text: spec };
  } else {
    template = withContext(spec.text, spec.context, tokenizer);
  }
  if (template.ids.length === 0)
    throw new TemplateError(`template ${JSON.stringify(template.label)} encodes to no tokens`);
  return template;
}

function isIdList(spec: TemplateSpec): spec is readonly number[] {
  return Array.isArray(spec);
}

function withContext(text: string, context: string, tokenizer: TemplateTokenizer): Template {
  const { inputIds, offsets } = tokenizer.encode(context + text);
  // the tokens that cover the template's characters, as they come out after the context; a token that
  // straddles the boundary (" ###" after "\n ") is part of the template in context
  const ids = inputIds.filter((_, i) => offsets[i][1] > context.length);
  return { ids, label: `${text} (after ${JSON.stringify(context)})`, text };
}

/** True when `template` occurs in `labels` starting at `at`. */
export function matchesAt(labels: ArrayLike<number>, at: number, template: readonly number[]): boolean {
  if (at + template.length > labels.length) return false;
  for (let k = 0; k < template.length; k++) if (labels[at + k] !== template[k]) return false;
  return true;
}

/** Start of the last occurrence (trl keeps overwriting its match, so the last one wins), or -1. */
export function lastMatch(labels: ArrayLike<number>, template: readonly number[]): number {
  const first = template[0];
  for (let i = labels.length - template.length; i >= 0; i--) {
    if (labels[i] === first && matchesAt(labels, i, template)) return i;
  }
  return -1;
}

/** Starts of every occurrence, ascending; overlapping occurrences count, as in trl. */
export function allMatches(labels: ArrayLike<number>, template: readonly number[]): number[] {
  const starts: number[] = [];
  const first = template[0];
  for (let i = 0; i + template.length <= labels.length; i++) {
    if (labels[i] === first && matchesAt(labels, i, template)) starts.push(i);
  }
  return starts;
}
