// Fix (off by default): warn when a template tokenizes differently in context than on its own.
// Pitfall it fixes: templates are matched by ids, and BPE merges depend on what precedes: trl's own docs
// write "\n ### Answer:" in the text, where GPT-2 makes " ###" one token (44386), so the template
// "### Answer:" ([21017, 23998, 25]) is never found and every row silently trains on nothing
// (docs/hf-semantics.md §3.5). The check finds the template's text in the example's text and compares ids;
// the cure is a template given with its context ({ text, context }, see template.ts).
import type { Row } from '../row';
import { allMatches, type Template } from '../template';
import type { TemplateTokenizer } from '../tokenizer';
import type { WarningSink } from '../warnings';
import type { RowStep } from './step';

export interface CheckTemplateContextConfig {
  type: 'check-template-context';
  templates: Template[];
}

export function checkTemplateContext(
  config: CheckTemplateContextConfig,
  tokenizer: TemplateTokenizer,
): RowStep<CheckTemplateContextConfig> {
  return {
    config,
    apply(rows, warn) {
      for (const row of rows) {
        if (row.text === undefined) continue;
        for (const template of config.templates) checkRow(row, row.text, template, tokenizer, warn);
      }
      return rows;
    },
  };
}

function checkRow(
  row: Row,
  text: string,
  template: Template,
  tokenizer: TemplateTokenizer,
  warn: WarningSink,
): void {
  const needle = template.text?.trim();
  if (!needle) return;
  const encoding = tokenizer.encode(text);
  const found = allMatches(encoding.inputIds, template.ids).length;
  const spans = textOccurrences(text, needle);
  if (spans.length <= found) return;
  const inContext = tokensCovering(encoding, spans[0][0], spans[0][1]);
  const seen = JSON.stringify(tokenizer.decode(inContext));
  warn({
    code: 'template-differs-in-context',
    example: row.name,
    message:
      `template \`${template.label}\` is [${template.ids.join(', ')}] on its own but ${row.name} tokenizes ` +
      `${JSON.stringify(needle)} as [${inContext.join(', ')}] (${seen}); give the template with its context`,
  });
}

function textOccurrences(text: string, needle: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1))
    spans.push([at, at + needle.length]);
  return spans;
}

function tokensCovering(
  encoding: { inputIds: number[]; offsets: Array<[number, number]> },
  from: number,
  to: number,
): number[] {
  const ids: number[] = [];
  encoding.offsets.forEach(([start, end], i) => {
    if (end > from && start < to) ids.push(encoding.inputIds[i]);
  });
  return ids;
}
