// Added and special tokens, split out of the text before anything else runs.
// Follows tokenizers' AddedVocabulary: leftmost-longest match over all added tokens, with the
// lstrip / rstrip / single_word flags. Tokens are matched on the original text (no normalizer pass).

/** tokenizer.json `added_tokens` entry. */
export interface AddedTokenConfig {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** A piece of input: plain text to tokenize, or an added token found in it. */
export interface Segment {
  start: number;
  end: number;
  /** Id of the added token this segment is, or -1 for plain text. */
  id: number;
  /** Offsets reported for an added token: its content, without the whitespace lstrip/rstrip took. */
  tokenStart?: number;
  tokenEnd?: number;
}

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPACE = /\s/u;

export class AddedVocabulary {
  private readonly byContent = new Map<string, AddedTokenConfig>();
  private readonly byId = new Map<number, AddedTokenConfig>();
  private readonly ordered: AddedTokenConfig[];

  constructor(readonly tokens: AddedTokenConfig[]) {
    for (const t of tokens) {
      this.byContent.set(t.content, t);
      this.byId.set(t.id, t);
    }
    this.ordered = [...tokens].filter((t) => t.content.length > 0);
  }

  get size(): number {
    return this.tokens.length;
  }

  tokenToId(token: string): number | undefined {
    return this.byContent.get(token)?.id;
  }

  idToToken(id: number): string | undefined {
    return this.byId.get(id)?.content;
  }

  isSpecial(id: number): boolean {
    return this.byId.get(id)?.special === true;
  }

  /** Splits text into plain and added-token segments, in order, covering the whole text. */
  split(text: string): Segment[] {
    const out: Segment[] = [];
    let plainStart = 0;
    let pos = 0;
    while (pos < text.length) {
      const m = this.nextMatch(text, pos);
      if (!m) break;
      let start = m.start;
      let end = m.start + m.token.content.length;
      if (m.token.lstrip) while (start > plainStart && SPACE.test(text[start - 1])) start--;
      if (m.token.rstrip) while (end < text.length && SPACE.test(text[end])) end++;
      if (start > plainStart) out.push({ start: plainStart, end: start, id: -1 });
      out.push({
        start,
        end,
        id: m.token.id,
        tokenStart: m.start,
        tokenEnd: m.start + m.token.content.length,
      });
      plainStart = end;
      pos = end;
    }
    if (plainStart < text.length || out.length === 0)
      out.push({ start: plainStart, end: text.length, id: -1 });
    return out;
  }

  /** Leftmost, then longest, acceptable match at or after `from`. */
  private nextMatch(text: string, from: number): { start: number; token: AddedTokenConfig } | null {
    let best: { start: number; token: AddedTokenConfig } | null = null;
    for (const token of this.ordered) {
      let at = text.indexOf(token.content, from);
      while (at >= 0 && token.single_word && !isSingleWord(text, at, at + token.content.length)) {
        at = text.indexOf(token.content, at + 1);
      }
      if (at < 0) continue;
      if (
        !best ||
        at < best.start ||
        (at === best.start && token.content.length > best.token.content.length)
      ) {
        best = { start: at, token };
      }
    }
    return best;
  }
}

function isSingleWord(text: string, start: number, end: number): boolean {
  const before = start > 0 && WORD_CHAR.test(text[start - 1]);
  const after = end < text.length && WORD_CHAR.test(text[end]);
  return !before && !after;
}
