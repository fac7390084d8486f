// Prompt masking of trl 0.19.1 DataCollatorForCompletionOnlyLM.torch_call (docs/hf-semantics.md §3.3–§3.4),
// rule for rule, on the labels of one row at a time. Single-turn: everything up to and including the
// LAST response template is ignored; no template → the whole row is ignored and a warning names it.
// Multi-turn (instruction template given): the spans between each response and the next instruction
// are trained, paired in order as trl pairs them, including its quirks (§3.4 rules 3, 5 and 7).
import { IGNORE_INDEX } from '../labels';
import type { Row } from '../row';
import { allMatches, lastMatch, type Template } from '../template';
import type { CollatorWarningCode, WarningSink } from '../warnings';
import type { RowStep } from './step';

export interface CompletionOnlyConfig {
  type: 'completion-only';
  response: Template;
  /** Multi-turn mode when given. */
  instruction?: Template | null;
  /** Label written over ignored tokens; default -100. Padding keeps -100 regardless (as in HF). */
  ignoreIndex?: number;
}

export function completionOnly(config: CompletionOnlyConfig): RowStep<CompletionOnlyConfig> {
  const { response, instruction, ignoreIndex = IGNORE_INDEX } = config;
  const maskRow = instruction
    ? (row: Row, warn: WarningSink) => maskMultiTurn(row, response, instruction, ignoreIndex, warn)
    : (row: Row, warn: WarningSink) => maskSingleTurn(row, response, ignoreIndex, warn);
  return {
    config,
    apply(rows, warn) {
      for (const row of rows) maskRow(row, warn);
      return rows;
    },
  };
}

function maskSingleTurn(row: Row, response: Template, ignore: number, warn: WarningSink): void {
  const start = lastMatch(row.labels, response.ids);
  if (start < 0) {
    notFound(row, 'response-template-not-found', `response template \`${response.label}\``, warn);
    row.labels.fill(ignore);
    return;
  }
  row.labels.fill(ignore, 0, start + response.ids.length);
}

function maskMultiTurn(
  row: Row,
  response: Template,
  instruction: Template,
  ignore: number,
  warn: WarningSink,
): void {
  const { labels } = row;
  const responseEnds = allMatches(labels, response.ids).map((start) => start + response.ids.length);
  if (responseEnds.length === 0) {
    notFound(row, 'response-template-not-found', `response template \`${response.label}\``, warn);
    labels.fill(ignore);
  }
  // searched after the row may have been blanked, as trl does (a blanked row then warns twice)
  const instructionStarts = allMatches(labels, instruction.ids);
  if (instructionStarts.length === 0) {
    notFound(row, 'instruction-template-not-found', `instruction template \`${instruction.label}\``, warn);
    labels.fill(ignore);
  }
  if (instructionStarts.length > 0 && responseEnds.length > 0 && instructionStarts[0] > responseEnds[0]) {
    instructionStarts.unshift(0); // trl assumes the first instruction was missed (docs/hf-semantics.md §3.4 rule 3)
  }
  const pairs = Math.min(instructionStarts.length, responseEnds.length);
  for (let k = 0; k < pairs; k++) labels.fill(ignore, k === 0 ? 0 : instructionStarts[k], responseEnds[k]);
  if (responseEnds.length < instructionStarts.length)
    labels.fill(ignore, instructionStarts[instructionStarts.length - 1]);
}

function notFound(row: Row, code: CollatorWarningCode, what: string, warn: WarningSink): void {
  const hint = row.truncated ? ' (it was truncated: consider a larger max length)' : '';
  warn({
    code,
    example: row.name,
    message: `could not find the ${what} in ${row.name}; it is ignored in the loss${hint}`,
  });
}
