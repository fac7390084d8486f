// One example on its way through the steps: ids and labels of equal length, before padding.
// Steps replace `ids`/`labels` (subarray views or new arrays); they never touch other rows.

export interface Example {
  /** Token ids of the whole example (prompt and completion), as the tokenizer produced them. */
  inputIds: ArrayLike<number>;
  /** Names the example in warnings, e.g. "line 12"; defaults to "example <index in the batch>". */
  name?: string;
  /** The text the ids came from, when known (only the template-in-context check reads it). */
  text?: string;
  /** Loss weight of the example (e.g. bias-audit reweighing); absent = 1. */
  weight?: number;
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

/** Labels start as a copy of the ids, as in DataCollatorForLanguageModeling(mlm=False). */
export function toRow(example: Example, index: number): Row {
  const ids = example.inputIds instanceof Int32Array ? example.inputIds : Int32Array.from(example.inputIds);
  return {
    name: exampleName(example, index),
    text: example.text,
    weight: example.weight,
    ids,
    labels: ids.slice(),
    truncated: false,
  };
}

export function exampleName(example: Example, index: number): string {
  return example.name ?? `example ${index}`;
}
