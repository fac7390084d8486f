// TokenizerService: requests mapped onto @ftune/tokenizer and @ftune/collator. Tokenizers are 'gpt2'
// (built in) or a folder inside the artifact store; batches are bounded in size, and Collate runs in
// a worker thread.
import { join } from 'node:path';
import { Controller, Inject } from '@nestjs/common';
import { limitsOf, runInWorker, UserError, type CallLike } from '@ftune/common';
import { tokenize } from '@ftune/proto';
import { loadTokenizer, type Tokenizer } from '@ftune/tokenizer';
import type { ArtifactStore } from '@ftune/storage';
import { STORE } from '@ftune/transport';

const MAX_TEXTS = 10_000;
const MAX_PAD_MULTIPLE = 1024;
const MAX_LENGTH = 32_768;
const COLLATE_TIMEOUT_MS = Number(process.env.FTUNE_COLLATE_TIMEOUT_MS ?? 120_000);

@Controller()
@tokenize.TokenizerServiceControllerMethods()
export class TokenizerGrpcController implements tokenize.TokenizerServiceController {
  private readonly tokenizers = new Map<string, Tokenizer>();

  constructor(@Inject(STORE) private readonly store: ArtifactStore) {}

  tokenize(request: tokenize.TokenizeRequest): tokenize.TokenizeResponse {
    bounded(request.texts.length);
    const tok = this.tokenizer(request.tokenizer);
    const truncation = request.truncation?.maxLength
      ? {
          maxLength: request.truncation.maxLength,
          side:
            request.truncation.side === tokenize.TruncationSide.TRUNCATION_SIDE_LEFT
              ? ('left' as const)
              : ('right' as const),
        }
      : undefined;
    return {
      encodings: request.texts.map((text) => {
        const e = tok.encode(text, { truncation });
        return {
          inputIds: e.inputIds,
          attentionMask: e.attentionMask,
          offsets: e.offsets.map(([start, end]) => ({ start, end })),
        };
      }),
    };
  }

  detokenize(request: tokenize.DetokenizeRequest): tokenize.DetokenizeResponse {
    bounded(request.sequences.length);
    const tok = this.tokenizer(request.tokenizer);
    const options = {
      skipSpecialTokens: request.skipSpecialTokens,
      cleanUpTokenizationSpaces: request.cleanUpTokenizationSpaces,
    };
    return { texts: request.sequences.map((s) => tok.decode(s.ids, options)) };
  }

  /**
   * Runs in a worker thread (collate.worker.ts) under the call's deadline (at most
   * FTUNE_COLLATE_TIMEOUT_MS, default 2 min); sizes are checked first and the collator refuses a
   * batch over its cell limit before allocating it.
   */
  async collate(
    request: tokenize.CollateRequest,
    _metadata?: unknown,
    call?: CallLike,
  ): Promise<tokenize.CollateResponse> {
    bounded(request.examples.length);
    const o = request.options;
    if ((o?.padToMultipleOf ?? 0) > MAX_PAD_MULTIPLE)
      throw new UserError(
        `options.pad_to_multiple_of: at most ${MAX_PAD_MULTIPLE}, got ${o?.padToMultipleOf}`,
      );
    if ((o?.maxLength ?? 0) > MAX_LENGTH)
      throw new UserError(`options.max_length: at most ${MAX_LENGTH}, got ${o?.maxLength}`);
    const tokenizer = this.tokenizerSource(request.tokenizer);
    return runInWorker<tokenize.CollateResponse>(
      join(__dirname, 'collate.worker.ts'),
      'collateExamples',
      [tokenizer, request],
      limitsOf(call, COLLATE_TIMEOUT_MS, 'collate'),
    );
  }

  /** 'gpt2' or the absolute folder of a tokenizer inside the store. */
  private tokenizerSource(name: string): string {
    return !name || name === 'gpt2' ? 'gpt2' : this.store.path(name);
  }

  private tokenizer(name: string): Tokenizer {
    const key = name || 'gpt2';
    let tok = this.tokenizers.get(key);
    if (!tok) {
      tok = loadTokenizer(this.tokenizerSource(key));
      this.tokenizers.set(key, tok);
    }
    return tok;
  }
}

function bounded(n: number): void {
  if (n > MAX_TEXTS) throw new UserError(`at most ${MAX_TEXTS} items per request, got ${n}`);
}
