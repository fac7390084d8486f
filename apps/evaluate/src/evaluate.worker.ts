// The EvaluationService's work, run in worker threads by the controller (runInWorker) so the service
// keeps answering meanwhile: Evaluate (@ftune/eval's runEvaluateJob) and Generate (the model and
// tokenizer loaded, each prompt continued), each after choosing the backend as the service does.
// Paths arrive resolved and checked against the artifact store; options arrive validated and capped.
import { initBackend } from '@ftune/compute';
import { runEvaluateJob, type EvaluateJobConfig } from '@ftune/eval';
import { loadModelFolder } from '@ftune/model-gpt-neo';
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
  const model = loadModelFolder(work.modelDir); // a model folder, or a LoRA adapter folder on the base it names
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

/** Runs the evaluation job; answers its numeric figures (the report and eval.json go to `out`). */
export async function evaluateRun(config: EvaluateJobConfig): Promise<Record<string, number>> {
  await initBackend();
  const { result } = await runEvaluateJob(config);
  return Object.fromEntries(
    Object.entries(result as unknown as Record<string, unknown>).filter(
      (e): e is [string, number] => typeof e[1] === 'number',
    ),
  );
}
