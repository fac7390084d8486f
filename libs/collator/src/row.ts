// One example on its way through the steps: ids and labels of equal length, before padding.
// Steps replace `ids`/`labels` (subarray views or new arrays); they never touch other rows.
import { IGNORE_INDEX } from './labels';

export interface Example {
  /** Token ids of the whole example (prompt and completion), as the tokenizer produced them. */
  inputIds: ArrayLike<number>;
  /** Names the example in warnings, e.g. "line 12"; defaults to "example <index in the batch>". */
  name?: string;
  /** The text the ids came from, when known (only the template-in-context check reads it). */
  text?: string;
  /** Loss weight of the example (e.g. bias-audit reweighing); absent = 1. */
  weight?: number;
  /**
   * Per token, 0 where the token is never a label (e.g. the prompt turns of a chat template, whose
   * assistant mask this is); absent = every token may be one. Same length as `inputIds`.
   */
  trainMask?: ArrayLike<number>;
}

export interface Row {
  readonly name: string;
  readonly text?: string;
  readonly weight?: number;
  ids: Int32Array;
  labels: Int32Array;
  /** Tokens were cut off by truncation. */
  truncated: boolean;
}

/**
 * Labels start as a copy of the ids, as in DataCollatorForLanguageModeling(mlm=False), with the tokens
 * outside `trainMask` ignored (IGNORE_INDEX) as trl's collator does with an assistant or completion mask.
 */
export function toRow(example: Example, index: number): Row {
  const ids = example.inputIds instanceof Int32Array ? example.inputIds : Int32Array.from(example.inputIds);
  const labels = ids.slice();
  const mask = example.trainMask;
  if (mask) {
    if (mask.length !== ids.length) {
      throw new RangeError(
        `${exampleName(example, index)}: trainMask has ${mask.length} entries for ${ids.length} tokens`,
      );
    }
    for (let t = 0; t < labels.length; t++) if (mask[t] === 0) labels[t] = IGNORE_INDEX;
  }
  return {
    name: exampleName(example, index),
    text: example.text,
    weight: example.weight,
    ids,
    labels,
    truncated: false,
  };
}

export function exampleName(example: Example, index: number): string {
  return example.name ?? `example ${index}`;
}
