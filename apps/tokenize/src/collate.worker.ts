// Collate's work, run in a worker thread by the controller (runInWorker): the request mapped onto a
// collator config of @ftune/collator and one batch collated. The tokenizer arrives as 'gpt2' or an
// absolute folder already checked against the artifact store.
import { completionOnlyConfig, fromConfig, languageModelingConfig, warningCollector } from '@ftune/collator';
import { tokenize } from '@ftune/proto';
import { UserError } from '@ftune/common';
import { loadTokenizer } from '@ftune/tokenizer';

/** Most cells (batch size × sequence length) one answer carries: five arrays of them fit 8 MiB. */
const MAX_ANSWER_CELLS = 1 << 20;

export function collateExamples(
  tokenizer: string,
  request: tokenize.CollateRequest,
): tokenize.CollateResponse {
  const tok = loadTokenizer(tokenizer);
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
  if (batch.batchSize * batch.seqLen > MAX_ANSWER_CELLS)
    throw new UserError(
      `the batch is ${batch.batchSize} × ${batch.seqLen} = ${batch.batchSize * batch.seqLen} cells, over the ${MAX_ANSWER_CELLS} one answer carries: send fewer or shorter examples`,
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
