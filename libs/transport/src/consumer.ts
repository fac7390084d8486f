// A stage's Kafka consumer: at-least-once delivery with bounded retries. Each message is parsed and
// validated against its topic's schema, then handled; the offset is committed only after the handler
// resolved (its artifacts are written and its next event acknowledged). A message that is not valid
// goes straight to `<topic>.dlq`; one whose handler keeps failing goes there after `maxAttempts`
// tries with doubling backoff. Either way the run is marked failed (run.failed.v1) with the reason,
// and the offset moves on — no endless redelivery, no silent drop.
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import {
  dlqTopic,
  InvalidEventError,
  newEnvelope,
  Topics,
  validateEvent,
  type EventByTopic,
  type Topic,
} from '@ftune/contracts';
import { UserError } from '@ftune/common';
import type { EventProducer } from './kafka';
import type { Logger } from './log';
import { serviceInstruments } from './telemetry';

export interface EventMeta {
  topic: Topic;
  partition: number;
  offset: string;
  attempt: number;
  headers: Record<string, string>;
  /** Aborted when the service shuts down. */
  signal: AbortSignal;
}

export type EventHandler = (event: EventByTopic[Topic], meta: EventMeta) => Promise<void>;

export interface ConsumerOptions {
  groupId: string;
  /** The stage name reported in run.failed.v1 and dead-letter records. */
  stage: string;
  handlers: Map<Topic, EventHandler>;
  maxAttempts: number;
  retryBackoffMs: number;
  /** Start a new group at the beginning of each topic (true) or its end. */
  fromBeginning?: boolean;
  /** Prepended to the topic names subscribed to (KafkaSettings.topicPrefix). */
  topicPrefix?: string;
  /**
   * false for consumers that only read events another stage owns (the pipeline's read model): a bad
   * message is logged and skipped there, and its dead letter and run.failed come from its stage.
   */
  deadLetter?: boolean;
}

/** Errors that a retry cannot cure: the message goes to the dead-letter topic at once. */
export function isPermanent(error: unknown): boolean {
  return error instanceof InvalidEventError || error instanceof UserError || error instanceof SyntaxError;
}

export class StageConsumer {
  private consumer: Consumer | undefined;
  private readonly abort = new AbortController();
  private inFlight = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: EventProducer,
    private readonly options: ConsumerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: 200,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({
      topics: [...this.options.handlers.keys()].map((t) => (this.options.topicPrefix ?? '') + t),
      fromBeginning: this.options.fromBeginning ?? true,
    });
    await consumer.run({
      autoCommit: true,
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: 3,
      eachMessage: (payload) => this.onMessage(payload),
    });
  }

  /** Stops taking messages; the one in hand finishes (its offset is committed) before this resolves. */
  async stop(): Promise<void> {
    if (!this.consumer) return;
    const c = this.consumer;
    this.consumer = undefined;
    await c.stop();
    await c.disconnect();
    this.abort.abort();
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const t = topic.slice((this.options.topicPrefix ?? '').length) as Topic;
    const handler = this.options.handlers.get(t);
    if (!handler) return;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    const raw = message.value?.toString('utf8') ?? '';
    const key = message.key?.toString('utf8') ?? null;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
    this.inFlight += 1;
    try {
      let event: EventByTopic[Topic];
      try {
        event = validateEvent(t, JSON.parse(raw));
      } catch (error) {
        await this.deadLetter(t, partition, message.offset, key, raw, error, 1);
        return;
      }
      const log = this.log.child({ runId: event.runId, topic: t, offset: message.offset });
      for (let attempt = 1; ; attempt++) {
        try {
          await handler(event, {
            topic: t,
            partition,
            offset: message.offset,
            attempt,
            headers,
            signal: this.abort.signal,
          });
          return;
        } catch (error) {
          if (this.abort.signal.aborted) throw error; // shutting down: leave the offset for the next owner
          if (isPermanent(error) || attempt >= this.options.maxAttempts) {
            await this.deadLetter(t, partition, message.offset, key, raw, error, attempt, event.runId);
            return;
          }
          const wait = this.options.retryBackoffMs * 2 ** (attempt - 1);
          log.warn('handler failed, retrying', { attempt, retryInMs: wait, error: errorText(error) });
          await sleep(wait);
        }
      }
    } finally {
      clearInterval(beat);
      this.inFlight -= 1;
    }
  }

  private async deadLetter(
    topic: Topic,
    partition: number,
    offset: string,
    key: string | null,
    value: string,
    error: unknown,
    attempts: number,
    runId = key ?? undefined,
  ): Promise<void> {
    const reason = `${this.options.stage}: ${errorText(error)}`;
    if (this.options.deadLetter === false) {
      this.log.warn('message skipped', { runId, topic, offset, attempts, error: reason });
      return;
    }
    const dlq = dlqTopic(topic);
    await this.producer.send(dlq, key, value, {
      'ftune-error': reason.slice(0, 4000),
      'ftune-source-topic': topic,
      'ftune-source-partition': String(partition),
      'ftune-source-offset': offset,
      'ftune-attempts': String(attempts),
      'ftune-stage': this.options.stage,
      'ftune-failed-at': new Date().toISOString(),
    });
    serviceInstruments().dlqMessages.add(1, { topic, 'ftune.stage': this.options.stage });
    this.log.error('message sent to the dead-letter topic', {
      runId,
      topic,
      dlq,
      offset,
      attempts,
      error: reason,
    });
    if (runId && /^[A-Za-z0-9._-]{1,128}$/.test(runId)) {
      await this.producer.publish(Topics.runFailed, {
        ...newEnvelope(runId),
        stage: this.options.stage,
        reason,
      });
    }
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
