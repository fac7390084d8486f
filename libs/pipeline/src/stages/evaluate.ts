// evaluate: model.trained → model.evaluated. @ftune/eval's runEvaluateJob on the test split, beside
// the majority baseline, the model before fine-tuning and configured model folders; writes
// evaluate/eval.json (and the evaluation's own report.html). When audit.outputFilter has rules, the
// generated samples pass through the rule-based output filter (@ftune/bias-audit OutputFilter).
import { OutputFilter } from '@ftune/bias-audit';
import { newEnvelope, Topics } from '@ftune/contracts';
import { runEvaluateJob, type EvalResult } from '@ftune/eval';
import type { Stage } from '../stage';
import { readRunConfig, readTrainStart } from './common';

export interface FilterSummary {
  rules: number;
  outputs: number;
  blocked: number;
  rewritten: number;
}

/** Applies the filter to every generated sample in place; counts what it did. */
export function filterSamples(result: EvalResult, filter: OutputFilter, rules: number): FilterSummary {
  const summary: FilterSummary = { rules, outputs: 0, blocked: 0, rewritten: 0 };
  for (const item of result.samples.items) {
    for (const key of ['greedy', 'sampled'] as const) {
      const r = filter.apply(item[key]);
      summary.outputs += 1;
      if (r.blocked) summary.blocked += 1;
      else if (r.applied.length > 0) summary.rewritten += 1;
      item[key] = r.text;
    }
  }
  return summary;
}

export const evaluateStage: Stage<typeof Topics.modelTrained, typeof Topics.modelEvaluated> = {
  name: 'evaluate',
  consumes: Topics.modelTrained,
  emits: Topics.modelEvaluated,
  async handle(event, ctx) {
    const cfg = readRunConfig(ctx.store, event.runId);
    const start = readTrainStart(ctx.store, event.runId);
    const rel = ctx.store.stageDir(event.runId, 'evaluate');
    const ingest = ctx.store.stageDir(event.runId, 'ingest');
    const { result } = await runEvaluateJob(
      {
        model: ctx.store.path(event.modelDir),
        dataset: ctx.store.path(ingest),
        out: ctx.store.ensureDir(rel),
        start: start.startModel,
        baselines: cfg.evaluation.baselines,
        metrics: ctx.store.path(event.metricsPath),
        responseTemplate: cfg.template.responseTemplate,
        options: {
          samples: cfg.evaluation.samples,
          bootstrapResamples: cfg.evaluation.bootstrap,
          seed: cfg.training.seed,
          maxNewTokens: 24,
        },
      },
      {
        log: (line) => ctx.log(line),
        progress: (what, done, total) => {
          ctx.signal?.throwIfAborted(); // a shutdown or a timed-out attempt ends the work here
          ctx.progress?.({ stage: 'evaluate', unit: 'examples', done, total, fields: { phase: what } });
        },
      },
    );
    if (cfg.audit.outputFilter.length > 0) {
      const summary = filterSamples(
        result,
        new OutputFilter(cfg.audit.outputFilter),
        cfg.audit.outputFilter.length,
      );
      ctx.store.writeJson(`${rel}/eval.json`, result);
      ctx.store.writeJson(`${rel}/output-filter.json`, summary);
      ctx.log(
        `output filter: ${summary.blocked} of ${summary.outputs} generations blocked, ${summary.rewritten} rewritten`,
      );
    }
    const summary: Record<string, number> = {};
    for (const [k, v] of Object.entries({
      accuracy: result.accuracy,
      majority_accuracy: result.baseline_accuracy,
      start_accuracy: result.start_accuracy,
      macro_f1: result.macro_f1,
      loss: result.loss,
      perplexity: result.perplexity,
    })) {
      if (typeof v === 'number' && Number.isFinite(v)) summary[k] = v;
    }
    return { ...newEnvelope(event.runId), modelDir: event.modelDir, evalPath: `${rel}/eval.json`, summary };
  },
};
