// The development broker is a real Apache Kafka: its process is Kafka's own `kafka.Kafka` and serves
// 127.0.0.1:9092, and a kafkajs client (as the services use) creates a topic, produces keyed messages
// and consumes them back in per-key order.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kafkaScriptJson } from '../support/kafka';
import { commandLineOf, listensOn } from '../support/processes';

const brokers = [inject('kafkaBrokers')];

describe('local Kafka broker', () => {
  const kafka = new Kafka({ clientId: 'ftune-tests', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.disconnect();
  });

  it('is Apache Kafka’s own broker process, listening on the bootstrap port', () => {
    const status = kafkaScriptJson('status');
    expect(status.running).toBe(true);
    const pid = status.pid as number;
    const cmd = commandLineOf(pid);
    expect(cmd).toMatch(/^\S*java /);
    expect(cmd).toContain(' kafka.Kafka ');
    const port = Number(brokers[0].split(':')[1]);
    expect(listensOn(pid, port) ?? true).toBe(true);
  });

  it('start is idempotent: a second start finds the same broker', () => {
    const before = kafkaScriptJson('status');
    const again = kafkaScriptJson('start');
    expect(again.started).toBe(false);
    expect(again.pid).toBe(before.pid);
  });

  it('creates a topic, produces keyed messages and consumes them back', { timeout: 45_000 }, async () => {
    const topic = `ftune.test.${randomUUID()}`;
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })).toBe(
      true,
    );
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0].partitions).toHaveLength(3);

    const keys = ['run-a', 'run-b', 'run-c'];
    const sent = keys.flatMap((key) => [0, 1, 2].map((i) => ({ key, value: `${key}:${i}` })));
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const acks = await producer.send({ topic, acks: -1, messages: sent });
    await producer.disconnect();
    expect(acks.every((a) => a.errorCode === 0)).toBe(true);

    const received: Array<{ key: string; value: string; partition: number }> = [];
    const consumer = kafka.consumer({ groupId: `ftune-test-${randomUUID()}`, maxWaitTimeInMs: 250 });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      let allReceived: () => void = () => undefined;
      const all = new Promise<void>((done) => (allReceived = done));
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ key: String(message.key), value: String(message.value), partition });
          if (received.length === sent.length) allReceived();
        },
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new Error(`consumed ${received.length} of ${sent.length} messages in 30 s`)),
          30_000,
        );
      });
      await Promise.race([all, timeout]).finally(() => clearTimeout(timer));
    } finally {
      await consumer.disconnect();
    }

    expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
    for (const key of keys) {
      const ofKey = received.filter((m) => m.key === key);
      // one run's events stay on one partition, in the order they were sent
      expect(new Set(ofKey.map((m) => m.partition)).size).toBe(1);
      expect(ofKey.map((m) => m.value)).toEqual([0, 1, 2].map((i) => `${key}:${i}`));
    }
  });
});
