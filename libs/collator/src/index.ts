// @ftune/collator — Language-modeling and completion-only collators with Hugging Face (trl 0.19.1) semantics,
// as composable steps (truncate → mask prompt → pad / pack) built from data, plus opt-in fixes.
export * from './batch';
export { countTargets, IGNORE_INDEX } from './labels';
export * from './warnings';
export type { Example } from './row';
export * from './template';
export type { TemplateTokenizer } from './tokenizer';
export type { CollatorConfig, StepConfig, LayoutConfig } from './config';
export type { TruncateConfig } from './steps/truncate';
export type { AppendEosConfig } from './steps/append-eos';
export type { MaskPadIdConfig } from './steps/mask-pad-id';
export type { CompletionOnlyConfig } from './steps/completion-only';
export type { RequireTrainableConfig } from './steps/require-trainable';
export type { CheckTemplateContextConfig } from './steps/check-template-context';
export type { PadConfig } from './layouts/pad';
export type { PaddingFreeConfig } from './layouts/padding-free';
export type { PackConfig } from './layouts/pack';
export { Collator, fromConfig, type CollateResult, type CollatorDeps } from './collator';
export * from './presets';
export * from './sampler/length-grouped';
export * from './sampler/packed';
