// The slice of @ftune/tokenizer's `Tokenizer` the collator uses, stated structurally so the core stays
// a pure function of token ids: any `Tokenizer` from @ftune/tokenizer satisfies it.

export interface TemplateTokenizer {
  /** Encodes text without special tokens (GPT-2 adds none either way). */
  encodeIds(text: string): number[];
  /** Ids with the character span of each token (for templates given with context, and the context check). */
  encode(text: string): { inputIds: number[]; offsets: Array<[number, number]> };
  decode(ids: ArrayLike<number>): string;
  readonly eosTokenId: number | null;
}
