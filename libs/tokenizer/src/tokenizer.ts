// A tokenizer composed as Hugging Face tokenizers composes one: added tokens split out first, then per
// plain segment normalizer → pre-tokenizer → BPE model, then truncation, post-processor, padding; decoding
// through the decoder and transformers' clean-up. Requires a ByteLevel pre-tokenizer (GPT-2 family).
// The rules followed, with the upstream versions: docs/hf-semantics.md §1.
import { AddedVocabulary, type Segment } from './added-vocabulary';
import { cleanUpTokenization, decoderFromConfig, type Decoder } from './decoders';
import { BpeModel } from './models/bpe/bpe';
import { PieceCache } from './models/bpe/cache';
import { identity, normalizerFromConfig, type Normalizer } from './normalizers';
import { pad, truncate } from './padding';
import { postProcessorFromConfig, type PostProcessor } from './post-processors';
import {
  BYTE_TO_CHAR,
  Pieces,
  encodeUtf8,
  preTokenizerFromConfig,
  type PreTokenizer,
} from './pre-tokenizers';
import type {
  BatchEncodeOptions,
  DecodeOptions,
  EncodeOptions,
  Encoding,
  Tokenizer,
  TokenizerConfig,
  TokenizerSettings,
} from './types';
import { codePointAt, utf8Length } from './unicode';

// module-local bindings for the hot path (imported bindings are read through export getters)
const hashRange = PieceCache.hash;
const toUtf8 = encodeUtf8;

/** Original-text range of each UTF-16 unit of the text being tokenized (null: the identity). */
interface Alignment {
  starts: Int32Array;
  ends: Int32Array;
}

export class HfTokenizer implements Tokenizer {
  readonly model: BpeModel;
  readonly added: AddedVocabulary;
  readonly vocabSize: number;
  readonly eosTokenId: number | null;
  readonly bosTokenId: number | null;
  readonly padTokenId: number | null;
  readonly modelMaxLength: number;
  private readonly normalizer: Normalizer | null;
  private readonly preTokenizer: PreTokenizer;
  private readonly postProcessor: PostProcessor | null;
  private readonly decoder: Decoder | null;
  /** vocabulary id of each byte's character (-1: absent). */
  private readonly byteIds = new Int32Array(256);
  /** byte length of each token of the model (its byte-level string length). */
  private readonly tokenBytes: Int32Array;
  /** ids of each one-character ASCII piece. */
  private readonly asciiIds: Array<number[] | null> = [];
  private readonly cache = new PieceCache();
  private readonly pieces = new Pieces();
  private utf8: Uint8Array = new Uint8Array(1024);
  private symbols = new Int32Array(1024);

  constructor(
    readonly config: TokenizerConfig,
    shared?: { model: BpeModel },
  ) {
    const { tokenizer: json, settings } = config;
    this.model = shared?.model ?? new BpeModel(json.model);
    this.added = new AddedVocabulary(json.added_tokens);
    this.normalizer = json.normalizer ? normalizerFromConfig(json.normalizer) : null;
    if (!json.pre_tokenizer) throw new Error('A tokenizer without a pre-tokenizer is not supported');
    // transformers' fast tokenizers write their add_prefix_space setting into a top-level ByteLevel step
    const pre =
      json.pre_tokenizer.type === 'ByteLevel'
        ? { ...json.pre_tokenizer, add_prefix_space: settings.addPrefixSpace }
        : json.pre_tokenizer;
    this.preTokenizer = preTokenizerFromConfig(pre);
    if (!this.preTokenizer.byteLevel) throw new Error('Only byte-level tokenizers are supported');
    this.postProcessor = json.post_processor ? postProcessorFromConfig(json.post_processor) : null;
    this.decoder = json.decoder ? decoderFromConfig(json.decoder) : null;

    this.vocabSize = this.model.size + json.added_tokens.filter((t) => !this.model.hasId(t.id)).length;
    const idOf = (token: string | null): number | null =>
      token === null ? null : (this.tokenToId(token) ?? null);
    this.eosTokenId = idOf(settings.eosToken);
    this.bosTokenId = idOf(settings.bosToken);
    this.padTokenId = idOf(settings.padToken);
    this.modelMaxLength = settings.modelMaxLength;

    const { byteIds, tokenLengths } = this.model.compiled;
    for (let b = 0; b < 256; b++) this.byteIds[b] = byteIds[b] >= 0 ? byteIds[b] : (this.model.unkId ?? -1);
    this.tokenBytes = tokenLengths;
    for (let c = 0; c < 128; c++) this.asciiIds[c] = this.byteIds[c] >= 0 ? [this.byteIds[c]] : null;
  }

  get settings(): TokenizerSettings {
    return this.config.settings;
  }

  tokenToId(token: string): number | undefined {
    return this.added.tokenToId(token) ?? this.model.id(token);
  }

  idToToken(id: number): string | undefined {
    return this.added.idToToken(id) ?? this.model.idToToken[id];
  }

  toConfig(): TokenizerConfig {
    return this.config;
  }

  withSettings(settings: Partial<TokenizerSettings>): HfTokenizer {
    return new HfTokenizer(
      { ...this.config, settings: { ...this.config.settings, ...settings } },
      { model: this.model },
    );
  }

  encodeIds(text: string): number[] {
    const out: number[] = [];
    const segments = this.added.size > 0 ? this.added.split(text) : null;
    if (segments === null) {
      this.encodeSegment(text, 0, text.length, out, null);
      return out;
    }
    for (const seg of segments) {
      if (seg.id >= 0) out.push(seg.id);
      else this.encodeSegment(text, seg.start, seg.end, out, null);
    }
    return out;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const ids: number[] = [];
    const offsets: Array<[number, number]> = [];
    const segments: Segment[] =
      this.added.size > 0 ? this.added.split(text) : [{ start: 0, end: text.length, id: -1 }];
    for (const seg of segments) {
      if (seg.id >= 0) {
        ids.push(seg.id);
        offsets.push([seg.tokenStart ?? seg.start, seg.tokenEnd ?? seg.end]);
      } else {
        this.encodeSegment(text, seg.start, seg.end, ids, offsets);
      }
    }
    const addSpecial = options.addSpecialTokens ?? true;
    let encoding: Encoding = { inputIds: ids, attentionMask: [], offsets };
    if (options.truncation) {
      const room = Math.max(
        0,
        options.truncation.maxLength - (addSpecial ? (this.postProcessor?.addedTokens ?? 0) : 0),
      );
      encoding = truncate(encoding, room, options.truncation.side ?? this.settings.truncationSide);
    }
    if (this.postProcessor) {
      const run = this.postProcessor.process(
        { ids: encoding.inputIds, offsets: encoding.offsets },
        addSpecial,
        (id) => this.idToToken(id) ?? '',
      );
      encoding = { inputIds: run.ids, attentionMask: [], offsets: run.offsets };
    }
    encoding.attentionMask = new Array<number>(encoding.inputIds.length).fill(1);
    return encoding;
  }

  encodeBatch(texts: string[], options: BatchEncodeOptions = {}): Encoding[] {
    const encodings = texts.map((t) => this.encode(t, options));
    const padding = options.padding === true ? {} : options.padding;
    if (!padding) return encodings;
    return pad(encodings, padding, {
      padTokenId: this.padTokenId,
      paddingSide: this.settings.paddingSide,
      modelMaxLength: this.modelMaxLength,
    });
  }

  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (options.skipSpecialTokens && this.added.isSpecial(id)) continue;
      const token = this.idToToken(id);
      if (token !== undefined) tokens.push(token);
    }
    const text = this.decoder ? this.decoder.decode(tokens) : tokens.join(' ');
    const clean = options.cleanUpTokenizationSpaces ?? this.settings.cleanUpTokenizationSpaces;
    return clean ? cleanUpTokenization(text) : text;
  }

  /** Tokenizes plain text[from, to), appending ids (and offsets in the original text when asked). */
  private encodeSegment(
    text: string,
    from: number,
    to: number,
    out: number[],
    offsets: Array<[number, number]> | null,
  ): void {
    let work = text;
    let align: Alignment | null = null;
    if (this.normalizer) {
      const n = this.normalizer.normalize(identity(text.slice(from, to)));
      for (let k = 0; k < n.starts.length; k++) {
        n.starts[k] += from;
        n.ends[k] += from;
      }
      work = n.text;
      align = n;
      from = 0;
      to = work.length;
    }
    if (this.preTokenizer.addPrefixSpace && to > from && work.charCodeAt(from) !== 0x20) {
      const base = align ?? identity(work);
      const starts = new Int32Array(to - from + 1);
      const ends = new Int32Array(to - from + 1);
      starts.set(base.starts.subarray(from, to), 1);
      ends.set(base.ends.subarray(from, to), 1);
      // the added space takes the alignment of the first character (tokenizers' NormalizedString::prepend)
      starts[0] = starts[1];
      ends[0] = codePointAt(work, from, to) > 0xffff ? ends[2] : ends[1];
      work = ' ' + work.slice(from, to);
      align = { starts, ends };
      from = 0;
      to = work.length;
    }
    const pieces = this.pieces;
    pieces.count = 0;
    this.preTokenizer.split(work, from, to, pieces);
    for (let p = 0; p < pieces.count; p++) {
      const s = pieces.starts[p];
      const e = pieces.ends[p];
      const ids = this.pieceIds(work, s, e);
      for (let k = 0; k < ids.length; k++) out.push(ids[k]);
      if (offsets) this.pieceOffsets(work, s, e, ids, align, offsets);
    }
  }

  /** Token ids of one piece (cached by its text). */
  private pieceIds(work: string, s: number, e: number): number[] {
    if (e - s === 1) {
      const c = work.charCodeAt(s);
      if (c < 128) {
        const ids = this.asciiIds[c];
        if (ids) return ids;
      }
    }
    const cacheable = e - s <= this.cache.maxLength;
    const hash = cacheable ? hashRange(work, s, e) : 0;
    if (cacheable) {
      const cached = this.cache.get(work, s, e, hash);
      if (cached) return cached;
    }
    const [bytes, n] = toUtf8(work, s, e, this.utf8);
    this.utf8 = bytes;
    let ids: number[];
    const whole = this.model.compiled.ignoreMerges ? this.model.id(byteString(bytes, n)) : undefined;
    if (whole !== undefined) {
      ids = [whole];
    } else {
      if (this.symbols.length < n) this.symbols = new Int32Array(n * 2);
      const symbols = this.symbols;
      for (let k = 0; k < n; k++) {
        const id = this.byteIds[bytes[k]];
        if (id < 0) throw new Error(`Byte ${bytes[k]} has no token and the model has no unk_token`);
        symbols[k] = id;
      }
      const m = this.model.merge(symbols, n);
      ids = new Array<number>(m);
      for (let k = 0; k < m; k++) ids[k] = symbols[k];
    }
    if (cacheable) this.cache.set(work.slice(s, e), hash, ids);
    return ids;
  }

  /** Offsets of a piece's tokens: each token spans the characters its bytes come from. */
  private pieceOffsets(
    work: string,
    s: number,
    e: number,
    ids: number[],
    align: Alignment | null,
    offsets: Array<[number, number]>,
  ): void {
    let i = s;
    let cp = codePointAt(work, i, e);
    let rem = utf8Length(cp);
    for (const id of ids) {
      let bytes = this.tokenBytes[id];
      const first = i;
      let last = i;
      let lastWidth = cp > 0xffff ? 2 : 1;
      while (bytes > 0 && i < e) {
        const take = Math.min(bytes, rem);
        bytes -= take;
        rem -= take;
        last = i;
        lastWidth = cp > 0xffff ? 2 : 1;
        if (rem === 0) {
          i += lastWidth;
          if (i < e) {
            cp = codePointAt(work, i, e);
            rem = utf8Length(cp);
          }
        }
      }
      offsets.push(
        align ? [align.starts[first], align.ends[last + lastWidth - 1]] : [first, last + lastWidth],
      );
    }
  }
}

function byteString(bytes: Uint8Array, n: number): string {
  let s = '';
  for (let k = 0; k < n; k++) s += BYTE_TO_CHAR[bytes[k]];
  return s;
}
