// Delivery counts that outlive the process handling the message (docs/reliability.md, "Delivery
// counts"). Before a handler runs, the attempt is written to the artifact store the services share, at
// `_deliveries/<group>/<topic>/<partition>/<offset>.json`; the next delivery of that message (after a
// crash, a kill, a hang ended by the liveness probe, a rebalance to another replica) reads it and
// goes on counting. The file goes when the message is handled or dead-lettered. Kept out of Kafka
// itself on purpose: a count re-published with the message could only be written after a failure the
// process survived, and a process that dies in the handler writes nothing.
import { rmSync } from 'node:fs';
import { checkSegment, type ArtifactStore } from '@ftune/storage';

export interface DeliveryRecord {
  /** Attempts started so far, the one in hand included. */
  attempts: number;
  /** The error of the last attempt that ended with one (absent when a process died in it). */
  lastError?: string;
  updatedAt: string;
}

export interface MessageAt {
  topic: string;
  partition: number;
  offset: string;
}

export class DeliveryLedger {
  constructor(
    private readonly store: ArtifactStore,
    private readonly group: string,
  ) {}

  private file({ topic, partition, offset }: MessageAt): string {
    const folder = `_deliveries/${checkSegment(this.group, 'consumer group')}/${checkSegment(topic, 'topic')}`;
    return `${folder}/${partition}/${checkSegment(offset, 'offset')}.json`;
  }

  /** What earlier deliveries of this message recorded, or undefined for its first. */
  read(at: MessageAt): DeliveryRecord | undefined {
    try {
      return this.store.tryReadJson<DeliveryRecord>(this.file(at));
    } catch {
      return undefined; // unreadable: count from here rather than block the partition
    }
  }

  /** Records `attempts` started (before the handler runs) and how the last failed one ended. */
  write(at: MessageAt, attempts: number, lastError?: string): void {
    if (attempts <= 0) return this.done(at);
    this.store.writeJson(this.file(at), { attempts, lastError, updatedAt: new Date().toISOString() });
  }

  /** Forgets the message (handled, or dead-lettered). */
  done(at: MessageAt): void {
    rmSync(this.store.path(this.file(at)), { force: true });
  }
}
