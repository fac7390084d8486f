// audit: model.evaluated → model.audited. @ftune/bias-audit's runAuditJob: the dataset audit of the
// ingested training data, the model audit of the fine-tuned model and of the model before
// fine-tuning on the test split, and the release gate; writes audit/audit.json.
import { runAuditJob } from '@ftune/bias-audit';
import { newEnvelope, Topics } from '@ftune/contracts';
import type { Stage } from '../stage';
import { readRunConfig, readTrainStart } from './common';

export const auditStage: Stage<typeof Topics.modelEvaluated, typeof Topics.modelAudited> = {
  name: 'audit',
  consumes: Topics.modelEvaluated,
  emits: Topics.modelAudited,
  async handle(event, ctx) {
    const cfg = readRunConfig(ctx.store, event.runId);
    const rel = ctx.store.stageDir(event.runId, 'audit');
    ctx.store.ensureDir(rel);
    if (!cfg.audit.enabled) {
      ctx.store.writeJson(`${rel}/audit.json`, { version: 1, skipped: true, passed: true, reasons: [] });
      return {
        ...newEnvelope(event.runId),
        auditPath: `${rel}/audit.json`,
        passed: true,
        reasons: ['audit disabled in the run config'],
      };
    }
    const start = readTrainStart(ctx.store, event.runId);
    const result = await runAuditJob(
      {
        dataset: ctx.store.path(ctx.store.stageDir(event.runId, 'ingest')),
        model: ctx.store.path(event.modelDir),
        baseline: start.startModel,
        terms: cfg.audit.terms,
        pairs: cfg.audit.pairs,
        gate: cfg.audit.gate,
        positiveLabel: cfg.audit.positiveLabel,
      },
      {
        log: (line) => ctx.log(line),
        progress: (what, done, total) => {
          ctx.signal?.throwIfAborted(); // a shutdown or a timed-out attempt ends the work here
          ctx.progress?.({ stage: 'audit', unit: 'examples', done, total, fields: { phase: what } });
        },
      },
    );
    ctx.store.writeJson(`${rel}/audit.json`, { ...result, mitigation: cfg.audit.mitigation });
    ctx.log(`gate ${result.passed ? 'passed' : `failed: ${result.gate.reasons.join('; ')}`}`);
    return {
      ...newEnvelope(event.runId),
      auditPath: `${rel}/audit.json`,
      passed: result.passed,
      reasons: result.gate.reasons,
    };
  },
};
