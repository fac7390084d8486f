// A collator as data: a list of row steps and one layout, each tagged by `type`, so a whole collator can
// travel in an event, be logged with a run, and be rebuilt by fromConfig(). Templates inside are
// already ids, so rebuilding needs no tokenizer (except the optional template-in-context check).
import type { PackConfig } from './layouts/pack';
import type { PadConfig } from './layouts/pad';
import type { PaddingFreeConfig } from './layouts/padding-free';
import type { AppendEosConfig } from './steps/append-eos';
import type { CheckTemplateContextConfig } from './steps/check-template-context';
import type { CompletionOnlyConfig } from './steps/completion-only';
import type { MaskPadIdConfig } from './steps/mask-pad-id';
import type { RequireTrainableConfig } from './steps/require-trainable';
import type { TruncateConfig } from './steps/truncate';

export type StepConfig =
  | AppendEosConfig
  | TruncateConfig
  | MaskPadIdConfig
  | CheckTemplateContextConfig
  | CompletionOnlyConfig
  | RequireTrainableConfig;

export type LayoutConfig = PadConfig | PaddingFreeConfig | PackConfig;

export interface CollatorConfig {
  type: 'collator';
  /** Applied in order to the rows of each batch (truncate → mask → ...). */
  steps: StepConfig[];
  /** How the rows become (B, T) arrays. */
  layout: LayoutConfig;
}
