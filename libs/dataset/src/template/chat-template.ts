// Chat records rendered with a model's own Jinja chat template, as transformers 4.53.2's
// apply_chat_template renders them (trim_blocks, lstrip_blocks, the tokenizer's special tokens as
// variables), through @huggingface/jinja, with the character spans of the assistant turns the loss covers:
// - from the template's `{% generation %}…{% endgeneration %}` blocks where it has them (the spans
//   transformers' return_assistant_tokens_mask is built from);
// - else from rendering each conversation prefix with and without the assistant turn: the turn's span is
//   what the template adds after the generation prompt, less trailing whitespace (docs/datasets.md).
// Tokens come from the caller's tokenizer. Two token masks: transformers' assistant_masks exactly (from
// char_to_token, quirks included), and the training mask: every token that overlaps an assistant span.
import { Template } from '@huggingface/jinja';
import { UserError } from '@ftune/common';
import { detectStyle, type JsonObject } from '../records/record';
import { asString } from './text-template';

/** One template, or named ones, as a tokenizer folder holds them (transformers' `chat_template`). */
export type ChatTemplateSource = string | Record<string, string>;

/** The special tokens a template sees as variables (transformers passes `special_tokens_map`). */
export interface ChatSpecialTokens {
  bos_token?: string;
  eos_token?: string;
  unk_token?: string;
  pad_token?: string;
}

/** The special-token variables of a tokenizer's settings (those it has). */
export function chatSpecialTokens(settings: {
  bosToken: string | null;
  eosToken: string | null;
  unkToken: string | null;
  padToken: string | null;
}): ChatSpecialTokens {
  const out: ChatSpecialTokens = {};
  if (settings.bosToken !== null) out.bos_token = settings.bosToken;
  if (settings.eosToken !== null) out.eos_token = settings.eosToken;
  if (settings.unkToken !== null) out.unk_token = settings.unkToken;
  if (settings.padToken !== null) out.pad_token = settings.padToken;
  return out;
}

export interface ChatMessageInput {
  role: string;
  content: unknown;
  [field: string]: unknown;
}

export interface RenderedChat {
  text: string;
  /** [start, end) of each assistant span in `text`, in UTF-16 code units (JS string indices). */
  spans: Array<[number, number]>;
}

/** What a tokenizer gives the masking: ids and [start, end) UTF-16 offsets per token. */
export interface OffsetTokenizer {
  encode(
    text: string,
    options?: { addSpecialTokens?: boolean },
  ): { inputIds: number[]; offsets: Array<[number, number]> };
}

export interface ChatTokens extends RenderedChat {
  inputIds: number[];
  /** transformers' assistant_masks for these spans, quirks included (see assistantMask). */
  assistantMask: number[];
  /** 1 for each token that overlaps an assistant span (what training takes as labels), else 0. */
  trainMask: number[];
}

// Private-use characters mark where a generation block starts and ends in the rendered text.
const GEN_START = '\uE000';
const GEN_END = '\uE001';
const GENERATION_TAG = /\{%([-+]?)\s*(end)?generation\s*([-+]?)%\}/g;

/**
 * The template to use from a tokenizer folder's templates: the one named `name` when given; else the
 * single template, or the one named "default" (transformers' get_chat_template, less tool use).
 */
export function selectChatTemplate(source: ChatTemplateSource, name?: string): string {
  const names = typeof source === 'string' ? [] : Object.keys(source);
  if (name !== undefined) {
    const named = typeof source === 'string' ? undefined : source[name];
    if (named === undefined) {
      throw new UserError(
        `chat_template: "${name}" is neither a file nor a template of the tokenizer` +
          (names.length ? ` (it has ${names.join(', ')})` : ' (it has one unnamed template)'),
      );
    }
    return named;
  }
  if (typeof source === 'string') return source;
  if (source.default === undefined) {
    throw new UserError(
      `chat_template: the tokenizer has several templates and none named "default"; choose one of ${names.join(', ')}`,
    );
  }
  return source.default;
}

/**
 * The template with each generation tag replaced by an expression printing its marker, the tag's
 * whitespace resolved first as Jinja does it for a block tag ("-" strips, else trim_blocks and lstrip_blocks).
 */
function withGenerationMarkers(template: string): string {
  let out = '';
  let last = 0;
  for (const m of template.matchAll(GENERATION_TAG)) {
    const [tag, left, end, right] = m;
    let before = template.slice(last, m.index);
    const lineStart = template.lastIndexOf('\n', m.index - 1) + 1;
    if (left === '-') before = before.replace(/\s+$/, '');
    else if (left === '' && lineStart >= last && /^[ \t]*$/.test(template.slice(lineStart, m.index)))
      before = before.slice(0, lineStart - last);
    out += before + `{{ '${end ? GEN_END : GEN_START}' }}`;
    last = m.index + tag.length;
    if (right === '-') last += /^\s*/.exec(template.slice(last))![0].length;
    else if (right === '' && template.startsWith('\n', last)) last += 1;
  }
  return out + template.slice(last);
}

/** A compiled chat template. */
export class ChatTemplate {
  /** The template has `{% generation %}` blocks (the assistant spans come from them). */
  readonly hasGenerationMarkers: boolean;
  private readonly compiled: Template;

  constructor(
    readonly source: string,
    private readonly specialTokens: ChatSpecialTokens = {},
  ) {
    this.hasGenerationMarkers = /\{%[-+]?\s*generation\s*[-+]?%\}/.test(source);
    try {
      this.compiled = new Template(this.hasGenerationMarkers ? withGenerationMarkers(source) : source);
    } catch (e) {
      throw new UserError(`chat_template: cannot parse the template: ${message(e)}`);
    }
  }

  /** The rendered text (markers removed) and the generation blocks' spans in it. */
  private renderRaw(messages: ChatMessageInput[], addGenerationPrompt: boolean): RenderedChat {
    let raw: string;
    try {
      raw = this.compiled.render({
        ...this.specialTokens,
        messages,
        tools: null,
        documents: null,
        add_generation_prompt: addGenerationPrompt,
      });
    } catch (e) {
      throw new UserError(`chat_template: ${message(e)}`);
    }
    if (!this.hasGenerationMarkers) return { text: raw, spans: [] };
    let text = '';
    const spans: Array<[number, number]> = [];
    const open: number[] = [];
    let from = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i];
      if (c !== GEN_START && c !== GEN_END) continue;
      text += raw.slice(from, i);
      from = i + 1;
      if (c === GEN_START) open.push(text.length);
      else spans.push([open.pop() ?? 0, text.length]);
    }
    text += raw.slice(from);
    spans.sort((a, b) => a[0] - b[0]);
    return { text, spans };
  }

  /** The conversation as text, with generation-block spans (empty without markers). */
  render(messages: ChatMessageInput[], options: { addGenerationPrompt?: boolean } = {}): RenderedChat {
    if (this.hasGenerationMarkers) {
      for (const m of messages) {
        if (typeof m.content === 'string' && /[\uE000\uE001]/.test(m.content)) {
          throw new UserError(
            'chat_template: a message contains U+E000 or U+E001, which mark generation blocks',
          );
        }
      }
    }
    return this.renderRaw(messages, options.addGenerationPrompt ?? false);
  }

  /** The training text and the spans of its assistant turns (from markers, else by rendering prefixes). */
  renderForTraining(messages: ChatMessageInput[]): RenderedChat {
    const full = this.render(messages);
    if (this.hasGenerationMarkers) return full;
    const spans: Array<[number, number]> = [];
    messages.forEach((m, i) => {
      if (m.role !== 'assistant') return;
      const prompt = this.renderRaw(messages.slice(0, i), true).text;
      const turn = this.renderRaw(messages.slice(0, i + 1), false).text;
      if (!full.text.startsWith(turn) || !turn.startsWith(prompt)) {
        throw new UserError(
          `chat_template: the template does not render message ${i} as a continuation of the conversation before it, ` +
            'so its assistant turn cannot be told apart; mark assistant turns with {% generation %} … {% endgeneration %}',
        );
      }
      let end = turn.length;
      while (end > prompt.length && /\s/.test(turn[end - 1])) end--;
      if (end > prompt.length) spans.push([prompt.length, end]);
    });
    return { text: full.text, spans };
  }

  /** Rendered for training, tokenized (no special tokens added), with transformers' assistant mask. */
  tokenize(messages: ChatMessageInput[], tokenizer: OffsetTokenizer): ChatTokens {
    const rendered = this.renderForTraining(messages);
    const { inputIds, offsets } = tokenizer.encode(rendered.text, { addSpecialTokens: false });
    return {
      ...rendered,
      inputIds,
      assistantMask: assistantMask(offsets, rendered.spans),
      trainMask: spanTokenMask(offsets, rendered.spans),
    };
  }
}

/** transformers' char_to_token: the first token whose offsets hold `pos`. */
function charToToken(offsets: Array<[number, number]>, pos: number): number | null {
  const i = offsets.findIndex(([s, e]) => pos >= s && pos < e);
  return i < 0 ? null : i;
}

/**
 * The token mask of character spans, as apply_chat_template(return_assistant_tokens_mask=True) builds it,
 * quirks included: a span whose last character maps to no token (or to token 0) runs to the end, and a
 * span whose first character maps to none stops the marking.
 */
export function assistantMask(offsets: Array<[number, number]>, spans: Array<[number, number]>): number[] {
  const mask = new Array<number>(offsets.length).fill(0);
  for (const [start, end] of spans) {
    const first = charToToken(offsets, start);
    const last = charToToken(offsets, end - 1);
    if (first === null) break;
    const stop = last ? last + 1 : offsets.length;
    for (let t = first; t < stop; t++) mask[t] = 1;
  }
  return mask;
}

/**
 * 1 for each token overlapping a span. A whitespace-only token has its offsets trimmed to the empty range
 * at the end of its characters (GPT-2's trim_offsets), so it counts when that end lies inside (start, end]. Unlike assistantMask, a span
 * that starts on such a token is not lost, and one ending in a character split over two tokens keeps both.
 */
export function spanTokenMask(offsets: Array<[number, number]>, spans: Array<[number, number]>): number[] {
  return offsets.map(([s, e]) =>
    spans.some(([start, end]) => (s === e ? s > start && s <= end : s < end && e > start)) ? 1 : 0,
  );
}

/**
 * The conversation of a record: chat messages as they are; prompt/completion and input/output as one
 * user turn and one assistant turn; null for plain text (trained as it is).
 */
export function recordToMessages(record: JsonObject): ChatMessageInput[] | null {
  const style = detectStyle(record) ?? 'text';
  if (style === 'chat') return Array.isArray(record.messages) ? (record.messages as ChatMessageInput[]) : [];
  if (style === 'text') return null;
  const [prompt, completion] =
    style === 'prompt-completion'
      ? [record.prompt, record.completion]
      : [record.input, record.output !== undefined ? record.output : record.label];
  return [
    { role: 'user', content: asString(prompt) },
    { role: 'assistant', content: asString(completion) },
  ];
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
