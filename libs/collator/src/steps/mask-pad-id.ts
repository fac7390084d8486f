// The seed's label rule from DataCollatorForLanguageModeling(mlm=False): every position whose id equals
// the pad id gets label -100 (hf-semantics §2.2.4). With pad = eos this also masks every real
// <|endoftext|> (transformers #23530, trl #976). Leaving this step out is the `keepEos` fix: padding is
// then masked by position only, by the layout.
import type { RowStep } from './step';
import { PAD_LABEL } from './step';

export interface MaskPadIdConfig {
  type: 'mask-pad-id';
  padTokenId: number;
}

export function maskPadId(config: MaskPadIdConfig): RowStep<MaskPadIdConfig> {
  const { padTokenId } = config;
  return {
    config,
    apply(rows) {
      for (const { labels } of rows) {
        for (let i = 0; i < labels.length; i++) if (labels[i] === padTokenId) labels[i] = PAD_LABEL;
      }
      return rows;
    },
  };
}
