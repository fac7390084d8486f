// `@OnEvent(topic)` marks a method of a service's Kafka controller as the handler of one topic, the way
// NestJS's @EventPattern does for its own Kafka transport; the service's consumer (./consumer.ts) reads
// these marks and subscribes its group to exactly those topics.
import type { Topic } from '@ftune/contracts';
import type { EventHandler } from './consumer';

const HANDLERS = Symbol('ftune:event-handlers');

type Marked = { [HANDLERS]?: Array<{ topic: Topic; method: string }> };

export function OnEvent(...topics: Topic[]): MethodDecorator {
  return (target, key) => {
    const proto = target as Marked;
    proto[HANDLERS] = [
      ...(proto[HANDLERS] ?? []),
      ...topics.map((topic) => ({ topic, method: String(key) })),
    ];
  };
}

/** The handlers a controller instance declares with @OnEvent, bound to it. */
export function eventHandlers(controller: object): Map<Topic, EventHandler> {
  const marks = (Object.getPrototypeOf(controller) as Marked)[HANDLERS] ?? [];
  const map = new Map<Topic, EventHandler>();
  for (const { topic, method } of marks) {
    const fn = (controller as Record<string, unknown>)[method];
    if (typeof fn !== 'function') throw new Error(`@OnEvent(${topic}) is not on a method`);
    map.set(topic, (fn as EventHandler).bind(controller));
  }
  return map;
}
