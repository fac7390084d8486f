// Warnings a collator raises about examples (template not found, nothing left to train on, ...).
// The library never prints: callers pass a sink (the CLI writes them to stderr, tests collect them).

export type CollatorWarningCode =
  | 'response-template-not-found'
  | 'instruction-template-not-found'
  | 'template-differs-in-context'
  | 'no-trainable-tokens'
  | 'pad-equals-eos';

export interface CollatorWarning {
  code: CollatorWarningCode;
  /** The example it is about (e.g. "line 12"); absent for warnings about the configuration. */
  example?: string;
  message: string;
}

export type WarningSink = (warning: CollatorWarning) => void;

/** A sink that keeps every warning, for tests and for callers that report at the end. */
export function warningCollector(): { sink: WarningSink; warnings: CollatorWarning[] } {
  const warnings: CollatorWarning[] = [];
  return { sink: (w) => warnings.push(w), warnings };
}

export const ignoreWarnings: WarningSink = () => undefined;
