// The pipeline service's read model: the record of every run (./run-record.ts), kept in the artifact
// store (runs/<id>/_record.json), so a restarted service rebuilds every record from the store and the
// events it has not yet consumed. A new record is created exclusively (of two StartRuns for one id,
// one wins); an update is written to a temporary file and renamed over the old one, and the record in
// memory changes only after that write succeeded, so a failed write leaves both as they were and the
// redelivered event retries it. A record file that cannot be read is moved aside (quarantined) with
// a warning, and the run's record is rebuilt from its next events.
import { EventEmitter } from 'node:events';
import { readFileSync, renameSync } from 'node:fs';
import type { EventByTopic, Topic } from '@ftune/contracts';
import { checkSegment, createExclusive, type ArtifactStore } from '@ftune/storage';
import {
  cancelRunRecord,
  foldRunEvent,
  newRunRecord,
  type Folded,
  type RunRecord,
} from './run-record';

const recordPath = (runId: string) => `runs/${checkSegment(runId)}/_record.json`;

/** The records of every run in the store, with change notifications for watchers. */
export class RunRecords {
  private readonly records = new Map<string, RunRecord>();
  readonly changes = new EventEmitter();

  constructor(
    private readonly store: ArtifactStore,
    private readonly warn: (message: string, fields: Record<string, unknown>) => void = () => undefined,
  ) {
    this.changes.setMaxListeners(0);
    for (const runId of store.listRuns()) {
      const record = this.read(runId);
      if (record) this.records.set(runId, record);
    }
  }

  get(runId: string): RunRecord | undefined {
    return this.records.get(runId) ?? this.reload(runId);
  }

  list(): RunRecord[] {
    return [...this.records.values()].sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.runId < b.runId ? 1 : -1,
    );
  }

  /** Records a new run; false when the id exists (the record is left as it is). */
  create(record: RunRecord): boolean {
    if (this.records.has(record.runId)) return false;
    const file = this.store.path(recordPath(record.runId));
    if (!createExclusive(file, JSON.stringify(record, null, 2) + '\n')) {
      this.reload(record.runId);
      return false;
    }
    this.records.set(record.runId, record);
    return true;
  }

  apply<T extends Topic>(topic: T, event: EventByTopic[T]): void {
    const known = this.get(event.runId);
    const folded = foldRunEvent(known ?? newRunRecord(event.runId, '', event.occurredAt), topic, event);
    if (folded.changes.length === 0 && known) return;
    this.save(folded);
  }

  /** Changes a run's record outside the event fold (e.g. StartRun's publish acknowledged). */
  update(runId: string, change: (record: RunRecord) => void): RunRecord | undefined {
    const record = this.get(runId);
    if (!record) return undefined;
    const next = structuredClone(record);
    change(next);
    this.save({ record: next, changes: [] });
    return next;
  }

  cancel(runId: string, reason: string): RunRecord | undefined {
    const record = this.get(runId);
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

  /** A record another process wrote (another replica, or a StartRun that won the create). */
  private reload(runId: string): RunRecord | undefined {
    const record = this.read(runId);
    if (record) this.records.set(runId, record);
    return record;
  }

  private read(runId: string): RunRecord | undefined {
    let file: string;
    try {
      file = this.store.path(recordPath(runId));
    } catch {
      return undefined; // not a run id
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
    try {
      const record = JSON.parse(text) as RunRecord;
      if (record && typeof record === 'object' && record.runId === runId && Array.isArray(record.stages))
        return record;
      throw new Error('not a run record');
    } catch (error) {
      const aside = `${file}.corrupt-${Date.now()}`;
      renameSync(file, aside);
      this.warn('run record unreadable; moved aside, rebuilt from the next events', {
        runId,
        file: aside,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    }
  }
}
