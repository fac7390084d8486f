// The pipeline service's read model: the record of every run (./run-record.ts), kept in the artifact
// store (runs/<id>/_record.json, written atomically), so a restarted service rebuilds every record
// from the store and the events it has not yet consumed. A record in memory changes only after its
// new version is written: a failed write leaves both as they were, and the redelivered event retries.
import { EventEmitter } from 'node:events';
import type { EventByTopic, Topic } from '@ftune/contracts';
import { checkSegment, type ArtifactStore } from '@ftune/storage';
import { cancelRunRecord, foldRunEvent, newRunRecord, type Folded, type RunRecord } from './run-record';

const recordPath = (runId: string) => `runs/${checkSegment(runId)}/_record.json`;

/** The records of every run in the store, with change notifications for watchers. */
export class RunRecords {
  private readonly records = new Map<string, RunRecord>();
  readonly changes = new EventEmitter();

  constructor(private readonly store: ArtifactStore) {
    this.changes.setMaxListeners(0);
    for (const runId of store.listRuns()) {
      const record = store.tryReadJson<RunRecord>(recordPath(runId));
      if (record) this.records.set(runId, record);
    }
  }

  get(runId: string): RunRecord | undefined {
    return this.records.get(runId);
  }

  list(): RunRecord[] {
    return [...this.records.values()].sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.runId < b.runId ? 1 : -1,
    );
  }

  /** Records a new run; false when the id exists (the record is left as it is). */
  create(record: RunRecord): boolean {
    if (this.records.has(record.runId) || this.store.exists(recordPath(record.runId))) return false;
    this.save({ record, changes: [] });
    return true;
  }

  apply<T extends Topic>(topic: T, event: EventByTopic[T]): void {
    const known = this.records.get(event.runId);
    const folded = foldRunEvent(known ?? newRunRecord(event.runId, '', event.occurredAt), topic, event);
    if (folded.changes.length === 0 && known) return;
    this.save(folded);
  }

  cancel(runId: string, reason: string): RunRecord | undefined {
    const record = this.records.get(runId);
    if (!record) return undefined;
    const folded = cancelRunRecord(record, reason);
    this.save(folded);
    return folded.record;
  }

  private save({ record, changes }: Folded): void {
    this.store.writeJson(recordPath(record.runId), record);
    this.records.set(record.runId, record);
    for (const change of changes) this.changes.emit(record.runId, record, change);
  }
}
