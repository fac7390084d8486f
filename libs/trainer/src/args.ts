// Training arguments: the hyperparameters of ./config/hyperparameters.ts in camelCase, with the Hugging
// Face TrainingArguments defaults (transformers 4.53). Values are checked when training starts; the
// config-file schema checks them earlier.
import { checkHyperparameters, DEFAULT_ARGS, type TrainingArguments } from './config/hyperparameters';

export { DEFAULT_ARGS, type TrainingArguments };

/** Fills defaults; evalBatchSize follows batchSize unless given. */
export function resolveArgs(partial: Partial<TrainingArguments>): TrainingArguments {
  const args = { ...DEFAULT_ARGS, ...partial };
  if (partial.evalBatchSize === undefined) args.evalBatchSize = args.batchSize;
  return args;
}

/** Returns a message for the first invalid value, or null. */
export const checkArgs = checkHyperparameters;
