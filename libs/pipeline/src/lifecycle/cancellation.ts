// Whether a run was cancelled: recorded in the artifact store by the pipeline service (CancelRun) and
// read by every stage before it starts and by the training job while it runs.
import type { ArtifactStore } from '@ftune/storage';
import { checkSegment } from '@ftune/storage';

export interface CancelMarker {
  reason: string;
  cancelledAt: string;
}

const cancelPath = (runId: string) => `runs/${checkSegment(runId)}/_cancelled.json`;

export function markCancelled(store: ArtifactStore, runId: string, reason: string): CancelMarker {
  const marker = { reason, cancelledAt: new Date().toISOString() };
  store.writeJson(cancelPath(runId), marker);
  return marker;
}

export function cancellation(store: ArtifactStore, runId: string): CancelMarker | undefined {
  return store.tryReadJson<CancelMarker>(cancelPath(runId));
}
