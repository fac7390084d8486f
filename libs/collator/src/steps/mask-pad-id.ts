// The seed's label rule from DataCollatorForLanguageModeling(mlm=False): every position whose id equals
// the pad id gets label -100 (docs/hf-semantics.md §2.2, rule 4). With pad = eos this also masks every real
// <|endoftext|> (§2.3 there). Leaving this step out is the `keepEos` fix: padding is
// then masked by position only, by the layout.
import type { RowStep } from './step';
import { IGNORE_INDEX } from '../labels';

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
        for (let i = 0; i < labels.length; i++) if (labels[i] === padTokenId) labels[i] = IGNORE_INDEX;
      }
      return rows;
    },
  };
}
