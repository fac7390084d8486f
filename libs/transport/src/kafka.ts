// Kafka for the services (kafkajs): the client from the service's settings (TLS, SASL), a producer that
// keys every event by its run id, and topic creation at start. The consumer with retries and the
// dead-letter topics is in ./consumer.ts.
import { Kafka, logLevel, Partitioners, type Producer, type SASLOptions } from 'kafkajs';
import { ALL_TOPICS, dlqTopic, type EventByTopic, type Topic } from '@ftune/contracts';
import type { KafkaSettings } from './config';
import type { Logger } from './log';

export function createKafka(settings: KafkaSettings, clientId: string, log?: Logger): Kafka {
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    ssl: settings.ssl,
    sasl: settings.sasl as SASLOptions | undefined,
    connectionTimeout: 5000,
    retry: { retries: 8, initialRetryTime: 200 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      if (!log) return;
      const { message, ...rest } = entry.log;
      const fields = { namespace: entry.namespace, ...rest };
      if (entry.level <= logLevel.ERROR) log.error(`kafka: ${message}`, fields);
      else log.warn(`kafka: ${message}`, fields);
    },
  });
}

/** Every event topic and its dead-letter topic; created once (existing topics are left as they are). */
export async function ensureTopics(kafka: Kafka, prefix = '', partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [...ALL_TOPICS, ...ALL_TOPICS.map(dlqTopic)]
      .map((t) => prefix + t)
      .filter((t) => !existing.has(t));
    if (wanted.length > 0) {
      await admin.createTopics({
        topics: wanted.map((topic) => ({ topic, numPartitions: partitions })),
        waitForLeaders: true,
      });
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Publishes events, keyed by run id, acknowledged by all in-sync replicas before it resolves. A failed
 * connect or send is not kept: the kafkajs producer is replaced and the next send connects anew, so a
 * producer outlives an outage longer than the client's own retries (kafkajs keeps a failed connect,
 * and after a paused broker a producer may hold a broker it answers "Broker not connected" for).
 * `healthy` is false for FAILURE_MEMORY_MS after a send failed on the way to the broker, or until one
 * succeeds (the service's health check reads it; an idle service is not kept unready for ever).
 */
export class EventProducer {
  private producer: Producer;
  private connected: Promise<void> | undefined;
  private failedAt: number | undefined;
  private used = false;
  static readonly FAILURE_MEMORY_MS = 30_000;

  /** `prefix` is prepended to every topic it sends to (KafkaSettings.topicPrefix). */
  constructor(
    private readonly kafka: Kafka,
    readonly prefix = '',
  ) {
    this.producer = this.newProducer();
  }

  private newProducer(): Producer {
    return this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: true,
    });
  }

  async publish<T extends Topic>(
    topic: T,
    event: EventByTopic[T],
    headers?: Record<string, string>,
  ): Promise<void> {
    await this.send(topic, event.runId, JSON.stringify(event), headers);
  }

  /** Raw send (dead-letter records); `topic` without the prefix. */
  async send(
    topic: string,
    key: string | null,
    value: string,
    headers?: Record<string, string>,
  ): Promise<void> {
    const producer = this.producer;
    try {
      this.used = true;
      this.connected ??= producer.connect();
      await this.connected;
      await producer.send({
        topic: this.prefix + topic,
        acks: -1,
        messages: [{ key, value, headers }],
      });
      this.failedAt = undefined;
    } catch (error) {
      if (!refusedByBroker(error)) {
        this.failedAt = Date.now();
        if (this.producer === producer) {
          // a fresh client for the next send; this one may hold a broker it no longer talks to
          this.connected = undefined;
          this.producer = this.newProducer();
          void producer.disconnect().catch(() => undefined);
        }
      }
      throw error;
    }
  }

  /** false after a connect or send failed on the way to the broker, until one succeeds or 30 s pass. */
  get healthy(): boolean {
    return this.failedAt === undefined || Date.now() - this.failedAt > EventProducer.FAILURE_MEMORY_MS;
  }

  /** Flushes and disconnects; also after a failed send, whose connections kafkajs may still hold. */
  async close(): Promise<void> {
    const connecting = this.connected;
    this.connected = undefined;
    await connecting?.catch(() => undefined);
    if (this.used) await this.producer.disconnect();
  }
}

/** The broker answered and refused the request for good (a message too large…): no outage. */
function refusedByBroker(error: unknown): boolean {
  let root = error as { cause?: unknown; name?: string; retriable?: boolean } | undefined;
  while (root?.cause) root = root.cause as typeof root;
  return root?.name === 'KafkaJSProtocolError' && root.retriable === false;
}
