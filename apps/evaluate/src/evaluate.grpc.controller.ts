// EvaluationService: Evaluate maps onto @ftune/eval's runEvaluateJob (writes eval.json and the report
// under evaluations/<run>/ of the artifact store), Generate onto GPT-Neo's generate. Every path is
// relative to the artifact store; prompts per request are bounded.
import { Controller, Inject } from '@nestjs/common';
import { UserError } from '@ftune/common';
import { runEvaluateJob } from '@ftune/eval';
import { loadModel } from '@ftune/model-gpt-neo';
import { evaluate } from '@ftune/proto';
import { checkSegment, type ArtifactStore } from '@ftune/storage';
import { loadTokenizer } from '@ftune/tokenizer';
import { STORE } from '@ftune/transport';

const MAX_PROMPTS = 64;
const METRICS = [
  'loss',
  'perplexity',
  'token_accuracy',
  'accuracy',
  'macro_f1',
  'baseline_accuracy',
] as const;

@Controller()
@evaluate.EvaluationServiceControllerMethods()
export class EvaluationGrpcController implements evaluate.EvaluationServiceController {
  constructor(@Inject(STORE) private readonly store: ArtifactStore) {}

  async evaluate(request: evaluate.EvaluateRequest): Promise<evaluate.EvaluateResponse> {
    const runId = checkSegment(request.runId || `adhoc-${Date.now().toString(36)}`);
    const out = `evaluations/${runId}`;
    const { result } = await runEvaluateJob({
      model: this.store.path(request.modelDir),
      dataset: this.store.path(request.datasetDir),
      out: this.store.ensureDir(out),
      baselines: request.baselineModelDirs.map((d) => this.store.path(d)),
    });
    const figures = result as unknown as Record<string, unknown>;
    const metrics = METRICS.filter((m) => typeof figures[m] === 'number').map((name) => ({
      name,
      value: figures[name] as number,
    }));
    return { evalPath: `${out}/eval.json`, metrics, baselines: [] };
  }

  generate(request: evaluate.GenerateRequest): evaluate.GenerateResponse {
    if (request.prompts.length > MAX_PROMPTS)
      throw new UserError(`at most ${MAX_PROMPTS} prompts per request`);
    const dir = this.store.path(request.modelDir);
    const model = loadModel(dir);
    try {
      const tok = loadTokenizer(
        request.tokenizer
          ? request.tokenizer === 'gpt2'
            ? 'gpt2'
            : this.store.path(request.tokenizer)
          : dir,
      );
      const o = request.options;
      const maxNewTokens = Math.min(o?.maxNewTokens || 20, 512);
      return {
        generations: request.prompts.map((prompt) => {
          const ids = model.generate(tok.encodeIds(prompt), {
            maxNewTokens,
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
              ids.length < maxNewTokens
                ? evaluate.FinishReason.FINISH_REASON_EOS
                : evaluate.FinishReason.FINISH_REASON_LENGTH,
          };
        }),
      };
    } finally {
      model.dispose();
    }
  }
}
