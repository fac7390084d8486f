// The BiasAuditService's work, run in a worker thread by the controller (runInWorker) so the service
// keeps answering meanwhile: @ftune/bias-audit's runAuditJob after choosing the backend as the
// service does. Paths arrive resolved and checked against the artifact store.
import { runAuditJob, type AuditJobConfig, type AuditResult } from '@ftune/bias-audit';
import { initBackend } from '@ftune/compute';

export async function auditRun(config: AuditJobConfig): Promise<AuditResult> {
  await initBackend();
  return runAuditJob(config);
}
