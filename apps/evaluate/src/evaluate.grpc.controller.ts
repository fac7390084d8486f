// EvaluationService: Evaluate maps onto @ftune/eval's runEvaluateJob (writes eval.json and the report
// under evaluations/<run>/ of the artifact store), Generate onto GPT-Neo's generate, both in worker
// threads (evaluate.worker.ts) under the call's deadline. Every path is relative to the artifact
// store; prompts, their length and the tokens asked for are bounded.
import { join } from 'node:path';
import { Controller, Inject } from '@nestjs/common';
import { limitsOf, runInWorker, UserError, type CallLike } from '@ftune/common';
import { evaluate } from '@ftune/proto';
import { checkSegment, type ArtifactStore } from '@ftune/storage';
import { STORE } from '@ftune/transport';
import type { GenerateWork } from './evaluate.worker';

const MAX_PROMPTS = 64;
const MAX_PROMPT_CHARS = 16_384;
const MAX_NEW_TOKENS = 512;
/** New tokens per request, all prompts together: what one call may ask the model to produce. */
const MAX_GENERATED_TOKENS = 4096;
const GENERATE_TIMEOUT_MS = Number(process.env.FTUNE_GENERATE_TIMEOUT_MS ?? 300_000);
const EVALUATE_TIMEOUT_MS = Number(process.env.FTUNE_EVALUATE_TIMEOUT_MS ?? 3_600_000);
const WORKER = join(__dirname, 'evaluate.worker.ts');
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

  /** Runs in a worker thread (evaluate.worker.ts) under the call's deadline (at most FTUNE_EVALUATE_TIMEOUT_MS, default 1 h). */
  async evaluate(
    request: evaluate.EvaluateRequest,
    _metadata?: unknown,
    call?: CallLike,
  ): Promise<evaluate.EvaluateResponse> {
    const runId = checkSegment(request.runId || `adhoc-${Date.now().toString(36)}`, 'run_id');
    const out = `evaluations/${runId}`;
    const config = {
      model: this.store.path(request.modelDir),
      dataset: this.store.path(request.datasetDir),
      out: this.store.ensureDir(out),
      baselines: request.baselineModelDirs.map((d) => this.store.path(d)),
    };
    const figures = await runInWorker<Record<string, number>>(
      WORKER,
      'evaluateRun',
      [config],
      limitsOf(call, EVALUATE_TIMEOUT_MS, 'evaluate'),
    );
    const metrics = METRICS.filter((m) => typeof figures[m] === 'number').map((name) => ({
      name,
      value: figures[name],
    }));
    return { evalPath: `${out}/eval.json`, metrics, baselines: [] };
  }

  /**
   * Runs in a worker thread (evaluate.worker.ts), so health checks and other calls are answered
   * meanwhile; the caller's deadline (at most FTUNE_GENERATE_TIMEOUT_MS, default 5 min) and its
   * cancellation end the worker.
   */
  async generate(
    request: evaluate.GenerateRequest,
    _metadata?: unknown,
    call?: CallLike,
  ): Promise<evaluate.GenerateResponse> {
    const work = this.generateWork(request);
    return runInWorker<evaluate.GenerateResponse>(
      WORKER,
      'generateTexts',
      [work],
      limitsOf(call, GENERATE_TIMEOUT_MS, 'generate'),
    );
  }

  /** Validates a Generate request before any work: counts, sizes and paths. */
  private generateWork(request: evaluate.GenerateRequest): GenerateWork {
    if (request.prompts.length === 0) throw new UserError('prompts: give at least one prompt');
    if (request.prompts.length > MAX_PROMPTS)
      throw new UserError(`prompts: at most ${MAX_PROMPTS} per request, got ${request.prompts.length}`);
    const long = request.prompts.findIndex((p) => p.length > MAX_PROMPT_CHARS);
    if (long >= 0) throw new UserError(`prompts[${long}]: longer than ${MAX_PROMPT_CHARS} characters`);
    const maxNewTokens = request.options?.maxNewTokens || 20;
    if (maxNewTokens > MAX_NEW_TOKENS)
      throw new UserError(`options.max_new_tokens: at most ${MAX_NEW_TOKENS}, got ${maxNewTokens}`);
    if (maxNewTokens * request.prompts.length > MAX_GENERATED_TOKENS)
      throw new UserError(
        `options.max_new_tokens × prompts = ${maxNewTokens * request.prompts.length}: at most ${MAX_GENERATED_TOKENS} tokens per request`,
      );
    const modelDir = this.store.path(request.modelDir);
    const tokenizer = request.tokenizer
      ? request.tokenizer === 'gpt2'
        ? 'gpt2'
        : this.store.path(request.tokenizer)
      : modelDir;
    return { modelDir, tokenizer, prompts: request.prompts, maxNewTokens, options: request.options };
  }
}
