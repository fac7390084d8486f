// TokenizerService: requests mapped onto @ftune/tokenizer and @ftune/collator. Tokenizers are 'gpt2'
// (built in) or a folder inside the artifact store; batches are bounded in size.
import { Controller, Inject } from '@nestjs/common';
import { completionOnlyConfig, fromConfig, languageModelingConfig, warningCollector } from '@ftune/collator';
import { UserError } from '@ftune/common';
import { tokenize } from '@ftune/proto';
import { loadTokenizer, type Tokenizer } from '@ftune/tokenizer';
import type { ArtifactStore } from '@ftune/storage';
import { STORE } from '@ftune/transport';

const MAX_TEXTS = 10_000;

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

  collate(request: tokenize.CollateRequest): tokenize.CollateResponse {
    bounded(request.examples.length);
    const tok = this.tokenizer(request.tokenizer);
    const o = request.options;
    const options = {
      maxLength: o?.maxLength || undefined,
      padToMultipleOf: o?.padToMultipleOf || undefined,
      keepEos: o?.keepEosLearnable,
      appendEos: o?.appendEos,
    };
    const { sink, warnings } = warningCollector();
    const config =
      o?.mode === tokenize.CollatorMode.COLLATOR_MODE_LANGUAGE_MODELING
        ? languageModelingConfig(options, tok)
        : completionOnlyConfig(
            { ...options, responseTemplate: o?.responseTemplate || '### Response:' },
            tok,
            sink,
          );
    const texts = request.examples.map((e) =>
      e.promptCompletion
        ? `${o?.promptPrefix ?? ''}${e.promptCompletion.prompt}${e.promptCompletion.completion}`
        : (e.text ?? ''),
    );
    const { batch } = fromConfig(config).collate(
      texts.map((text, i) => ({ inputIds: tok.encodeIds(text), text, name: `example ${i}` })),
    );
    return {
      batchSize: batch.batchSize,
      seqLen: batch.seqLen,
      inputIds: [...batch.inputIds],
      attentionMask: [...batch.attentionMask],
      labels: [...batch.labels],
      positionIds: batch.positionIds ? [...batch.positionIds] : [],
      segmentIds: batch.segmentIds ? [...batch.segmentIds] : [],
      warnings: warnings.map((w) => w.message),
    };
  }

  private tokenizer(name: string): Tokenizer {
    const key = name || 'gpt2';
    let tok = this.tokenizers.get(key);
    if (!tok) {
      tok = loadTokenizer(key === 'gpt2' ? key : this.store.path(key));
      this.tokenizers.set(key, tok);
    }
    return tok;
  }
}

function bounded(n: number): void {
  if (n > MAX_TEXTS) throw new UserError(`at most ${MAX_TEXTS} items per request, got ${n}`);
}
