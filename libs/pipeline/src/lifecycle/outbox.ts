// StartRun's outbox: a run is recorded (pending, with its config in the store) before its
// run.requested.v1 is published, and it counts as requested only once the broker acknowledged that
// event (or the service consumed it back). Until then the service publishes it again — at StartRun,
// at every retry of StartRun and on a timer — so a broker outage delays a run but never strands it.
// The stages are idempotent per run, so a run.requested sent twice runs the run once.
import { newEnvelope, Topics } from '@ftune/contracts';
import type { ArtifactStore } from '@ftune/storage';
import type { RunConfig } from '../config';
import { runConfigPath } from '../stages/common';
import type { RunRecord } from './run-record';
import type { RunRecords } from './run-records';
import type { Publish } from './stage-runner';

/** Whether the run still waits for its run.requested.v1 to be acknowledged. */
export const awaitsRequest = (r: RunRecord) => r.state === 'pending' && !r.requestedAt;

/** Publishes the run's run.requested.v1 and records it requested; rejects when the broker did not take it. */
export async function requestRun(
  records: RunRecords,
  store: ArtifactStore,
  publish: Publish,
  runId: string,
): Promise<RunRecord | undefined> {
  const config = store.tryReadJson<RunConfig>(runConfigPath(runId));
  if (!config) return records.get(runId);
  await publish(Topics.runRequested, {
    ...newEnvelope(runId),
    config: config as unknown as Record<string, unknown>,
  });
  return records.update(runId, (r) => {
    r.requestedAt ??= new Date().toISOString();
  });
}

/** Publishes run.requested.v1 again for every run still waiting for it; answers how many were sent. */
export async function flushOutbox(
  records: RunRecords,
  store: ArtifactStore,
  publish: Publish,
  warn: (message: string, fields: Record<string, unknown>) => void,
): Promise<number> {
  let sent = 0;
  for (const record of records.list().filter(awaitsRequest)) {
    try {
      await requestRun(records, store, publish, record.runId);
      sent += 1;
    } catch (error) {
      warn('run.requested not yet acknowledged; sent again later', {
        runId: record.runId,
        error: error instanceof Error ? error.message : String(error),
      });
      break; // the broker is away: the next round tries again
    }
  }
  return sent;
}
