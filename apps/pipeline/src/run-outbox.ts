// The pipeline service's outbox timer: runs whose run.requested.v1 the broker has not yet
// acknowledged are published again at start and every FTUNE_OUTBOX_INTERVAL_MS (default 5 s).
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { flushOutbox, RunRecords } from '@ftune/pipeline';
import type { ArtifactStore } from '@ftune/storage';
import { LOGGER, PRODUCER, STORE, type EventProducer, type Logger } from '@ftune/transport';

@Injectable()
export class RunOutbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    @Inject(RunRecords) private readonly records: RunRecords,
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(PRODUCER) private readonly producer: EventProducer,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const every = Number(process.env.FTUNE_OUTBOX_INTERVAL_MS ?? 5000);
    this.timer = setInterval(() => void this.flush(), every);
    this.timer.unref();
    void this.flush();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async flush(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const sent = await flushOutbox(
        this.records,
        this.store,
        (topic, event) => this.producer.publish(topic, event),
        (message, fields) => this.log.warn(message, fields),
      );
      if (sent > 0) this.log.info('run.requested sent again', { runs: sent });
    } finally {
      this.busy = false;
    }
  }
}
