// Truncation and padding of encodings, as transformers' `truncate_sequences` and `pad`/`_pad` do for a
// single sequence per example: truncation keeps the first (right) or last (left) tokens; padding goes to
// the longest or to a fixed length, rounded up to `pad_to_multiple_of`, with attention_mask 0 on pads.
import { UserError } from '@ftune/common';
import type { Encoding, PaddingOptions, Side } from './types';

export function truncate(encoding: Encoding, maxLength: number, side: Side): Encoding {
  const n = encoding.inputIds.length;
  if (maxLength < 0) throw new UserError(`truncation max length must be ≥ 0, got ${maxLength}`);
  if (n <= maxLength) return encoding;
  const [from, to] = side === 'right' ? [0, maxLength] : [n - maxLength, n];
  return {
    inputIds: encoding.inputIds.slice(from, to),
    attentionMask: encoding.attentionMask.slice(from, to),
    offsets: encoding.offsets.slice(from, to),
  };
}

export interface PadDefaults {
  padTokenId: number | null;
  paddingSide: Side;
  modelMaxLength: number;
}

/** Target length of a padded batch, or null when nothing is padded. */
export function paddedLength(lengths: number[], options: PaddingOptions, modelMaxLength: number): number {
  let target =
    (options.strategy ?? 'longest') === 'longest'
      ? Math.max(0, ...lengths)
      : (options.maxLength ?? modelMaxLength);
  const m = options.padToMultipleOf;
  if (m !== undefined) {
    if (!Number.isInteger(m) || m <= 0)
      throw new UserError(`pad_to_multiple_of must be a positive integer, got ${m}`);
    if (target % m !== 0) target = (Math.floor(target / m) + 1) * m;
  }
  return target;
}

/** Pads every encoding to the batch's target length (longer ones are left as they are, as in transformers). */
export function pad(encodings: Encoding[], options: PaddingOptions, defaults: PadDefaults): Encoding[] {
  const padId = options.padTokenId ?? defaults.padTokenId;
  const side = options.side ?? defaults.paddingSide;
  const target = paddedLength(
    encodings.map((e) => e.inputIds.length),
    options,
    defaults.modelMaxLength,
  );
  return encodings.map((e) => {
    const k = target - e.inputIds.length;
    if (k <= 0) return e;
    if (padId === null) {
      throw new UserError(
        'asked to pad but the tokenizer has no pad token: set one (e.g. the eos token) or give a pad id',
      );
    }
    const ids = new Array<number>(k).fill(padId);
    const zeros = new Array<number>(k).fill(0);
    const none = Array.from({ length: k }, (): [number, number] => [0, 0]);
    return side === 'right'
      ? {
          inputIds: [...e.inputIds, ...ids],
          attentionMask: [...e.attentionMask, ...zeros],
          offsets: [...e.offsets, ...none],
        }
      : {
          inputIds: [...ids, ...e.inputIds],
          attentionMask: [...zeros, ...e.attentionMask],
          offsets: [...none, ...e.offsets],
        };
  });
}
