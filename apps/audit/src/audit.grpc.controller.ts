// BiasAuditService over @ftune/bias-audit's runAuditJob. AuditDataset audits an ingested dataset's
// training split; AuditModel audits a model on the test split of its run's ingested dataset
// (runs/<run_id>/ingest). Reports go to audits/<run_id>/ in the artifact store. Not offered here:
// label_field (labels are the completions) and mitigations (a run's train stage applies them), and
// a tokenizer other than the model folder's own. Audits run in a worker thread (audit.worker.ts).
import { join } from 'node:path';
import { Controller, Inject } from '@nestjs/common';
import type { AuditJobConfig, AuditResult } from '@ftune/bias-audit';
import { limitsOf, runInWorker, UserError, type CallLike } from '@ftune/common';
import { audit } from '@ftune/proto';
import { checkSegment, type ArtifactStore } from '@ftune/storage';
import { STORE } from '@ftune/transport';

const { Mitigation } = audit;
const AUDIT_TIMEOUT_MS = Number(process.env.FTUNE_AUDIT_TIMEOUT_MS ?? 3_600_000);

@Controller()
@audit.BiasAuditServiceControllerMethods()
export class BiasAuditGrpcController implements audit.BiasAuditServiceController {
  constructor(@Inject(STORE) private readonly store: ArtifactStore) {}

  async auditDataset(
    request: audit.AuditDatasetRequest,
    _metadata?: unknown,
    call?: CallLike,
  ): Promise<audit.AuditDatasetResponse> {
    if (request.runId) checkSegment(request.runId, 'run_id');
    if (request.labelField) throw new UserError('label_field: not supported (labels are the completions)');
    if (
      request.mitigation === Mitigation.MITIGATION_REWEIGHT ||
      request.mitigation === Mitigation.MITIGATION_AUGMENT
    ) {
      throw new UserError(
        "mitigation: applied by a run's train stage (audit.mitigation), not by AuditDataset",
      );
    }
    const result = await audited(
      {
        dataset: this.store.path(request.datasetDir),
        terms: request.termsPath ? this.store.path(request.termsPath) : undefined,
        gate: request.gate,
      },
      call,
    );
    const auditPath = this.save(request.runId, 'dataset', result);
    return {
      auditPath,
      groups: groupsOf(result),
      metrics: metricsOf(result),
      passed: result.passed,
      reasons: result.gate.reasons,
      mitigatedDatasetDir: '',
    };
  }

  async auditModel(
    request: audit.AuditModelRequest,
    _metadata?: unknown,
    call?: CallLike,
  ): Promise<audit.AuditModelResponse> {
    if (request.tokenizer)
      throw new UserError("tokenizer: not supported (the model folder's own is used, else gpt2)");
    const dataset = `runs/${checkSegment(request.runId)}/ingest`;
    if (!this.store.exists(dataset))
      throw new UserError(`run ${request.runId} has no ingested dataset (${dataset})`);
    const result = await audited(
      {
        dataset: this.store.path(dataset),
        model: this.store.path(request.modelDir),
        pairs: request.pairsPath ? this.store.path(request.pairsPath) : undefined,
        gate: request.gate,
      },
      call,
    );
    const auditPath = this.save(request.runId, 'model', result);
    return { auditPath, metrics: metricsOf(result), passed: result.passed, reasons: result.gate.reasons };
  }

  private save(runId: string, kind: string, result: AuditResult): string {
    const path = `audits/${checkSegment(runId || `adhoc-${Date.now().toString(36)}`)}/${kind}.json`;
    this.store.writeJson(path, result);
    return path;
  }
}

/** runAuditJob in a worker thread (audit.worker.ts) under the call's deadline (at most FTUNE_AUDIT_TIMEOUT_MS, default 1 h). */
function audited(config: AuditJobConfig, call: CallLike | undefined): Promise<AuditResult> {
  return runInWorker<AuditResult>(
    join(__dirname, 'audit.worker.ts'),
    'auditRun',
    [config],
    limitsOf(call, AUDIT_TIMEOUT_MS, 'audit'),
  );
}

function metricsOf(result: AuditResult): audit.FairnessMetric[] {
  return result.gate.checks.map((c) => ({
    name: c.name,
    group: '',
    value: c.value ?? Number.NaN,
    threshold: c.threshold,
    passed: c.status === 'passed',
    evaluated: c.status !== 'not evaluated',
  }));
}

function groupsOf(result: AuditResult): audit.GroupStats[] {
  const total = result.datasetAudit.records;
  return result.datasetAudit.dimensions.flatMap((d) =>
    Object.entries(d.mentions).map(([group, records]) => ({
      group: `${d.dimension}/${group}`,
      records,
      share: total > 0 ? records / total : 0,
      labelRates: d.labelShares[group] ?? {},
    })),
  );
}
