// Decoders: token strings → text. ByteLevel maps each character back to its byte and decodes UTF-8
// lossily (U+FFFD for invalid sequences, as Rust's from_utf8_lossy); characters outside the byte map
// contribute their own UTF-8 bytes. Without a decoder, tokens are joined with spaces (tokenizers).
import { CHAR_TO_BYTE } from '../pre-tokenizers/bytes';

export { cleanUpTokenization } from './cleanup';

export type DecoderConfig =
  | { type: 'ByteLevel'; add_prefix_space?: boolean; trim_offsets?: boolean; use_regex?: boolean }
  | { type: 'Sequence'; decoders: DecoderConfig[] };

export interface Decoder {
  readonly config: DecoderConfig;
  decode(tokens: string[]): string;
}

// ignoreBOM: a leading U+FEFF is text, not a byte-order mark to drop
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

export function byteLevelDecode(tokens: string[]): string {
  let length = 0;
  for (const t of tokens) length += t.length;
  let bytes = new Uint8Array(length);
  let n = 0;
  for (const t of tokens) {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
      if (b >= 0) {
        bytes[n++] = b;
        continue;
      }
      // not a byte character: its own UTF-8 bytes (a surrogate pair is taken whole)
      const wide = c >= 0xd800 && c <= 0xdbff && i + 1 < t.length;
      const raw = encoder.encode(t.slice(i, wide ? i + 2 : i + 1));
      if (wide) i++;
      if (n + raw.length > bytes.length) {
        const grown = new Uint8Array((n + raw.length) * 2);
        grown.set(bytes.subarray(0, n));
        bytes = grown;
      }
      bytes.set(raw, n);
      n += raw.length;
    }
  }
  return utf8.decode(bytes.subarray(0, n));
}

export function decoderFromConfig(config: DecoderConfig): Decoder {
  switch (config.type) {
    case 'ByteLevel':
      return { config, decode: byteLevelDecode };
    case 'Sequence': {
      if (config.decoders.length !== 1)
        throw new Error('Only a Sequence of exactly one decoder is supported');
      return decoderFromConfig(config.decoders[0]);
    }
    default:
      throw new Error(`Unsupported decoder: ${JSON.stringify(config)}`);
  }
}
