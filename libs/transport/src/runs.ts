// Run-level facts the services share through the artifact store (no service keeps state of its own):
// whether a run was cancelled, recorded by the pipeline service and read by every stage before it starts.
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
