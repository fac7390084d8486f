// Generate's work, run in a worker thread by the controller (runInWorker): the backend chosen as in
// the service, the model and tokenizer loaded, each prompt continued. Paths arrive resolved and
// checked against the artifact store; the options arrive validated and capped.
import { initBackend } from '@ftune/compute';
import { loadModel } from '@ftune/model-gpt-neo';
import { evaluate } from '@ftune/proto';
import { loadTokenizer } from '@ftune/tokenizer';

export interface GenerateWork {
  modelDir: string;
  /** 'gpt2' or an absolute tokenizer folder. */
  tokenizer: string;
  prompts: string[];
  maxNewTokens: number;
  options: evaluate.GenerationOptions | undefined;
}

export async function generateTexts(work: GenerateWork): Promise<evaluate.GenerateResponse> {
  await initBackend();
  const model = loadModel(work.modelDir);
  try {
    const tok = loadTokenizer(work.tokenizer);
    const o = work.options;
    return {
      generations: work.prompts.map((prompt) => {
        const ids = model.generate(tok.encodeIds(prompt), {
          maxNewTokens: work.maxNewTokens,
          temperature: o?.doSample ? o.temperature || 1 : 0,
          topK: o?.topK || undefined,
          topP: o?.topP || undefined,
          seed: o?.seed,
        });
        return {
          prompt,
          text: tok.decode(ids, { skipSpecialTokens: true }),
          tokenIds: ids,
          finishReason:
            ids.length < work.maxNewTokens
              ? evaluate.FinishReason.FINISH_REASON_EOS
              : evaluate.FinishReason.FINISH_REASON_LENGTH,
        };
      }),
    };
  } finally {
    model.dispose();
  }
}
