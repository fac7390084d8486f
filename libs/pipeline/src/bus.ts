// The event bus the stage handlers run behind. In one process (`npm start`, tests) it is the
// in-memory bus below; in the cluster the services put the same handlers behind Kafka.
// Delivery here is in order per topic subscription; a handler error is reported, never swallowed.
import type { EventByTopic, Topic } from '@ftune/contracts';

export type EventHandler<T extends Topic> = (event: EventByTopic[T]) => Promise<void>;

export interface EventBus {
  publish<T extends Topic>(topic: T, event: EventByTopic[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): void;
}

/** In-memory bus: publish awaits every subscriber of the topic, in subscription order. */
export class InProcessBus implements EventBus {
  private readonly handlers = new Map<Topic, Array<(e: unknown) => Promise<void>>>();
  /** Every published event, in order (the read model of an embedded run). */
  readonly log: Array<{ topic: Topic; event: unknown }> = [];

  subscribe<T extends Topic>(topic: T, handler: EventHandler<T>): void {
    const list = this.handlers.get(topic) ?? [];
    list.push(handler as (e: unknown) => Promise<void>);
    this.handlers.set(topic, list);
  }

  async publish<T extends Topic>(topic: T, event: EventByTopic[T]): Promise<void> {
    this.log.push({ topic, event });
    for (const h of this.handlers.get(topic) ?? []) await h(event);
  }
}
