import type { EachMessagePayload, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type Topic } from '@ftune/contracts';
import { UserError } from '@ftune/common';
import { StageConsumer, type EventHandler } from './consumer';
import type { EventProducer } from './kafka';
import { createLogger } from './log';

/** A consumer over a fake kafkajs: `deliver` hands one message to eachMessage; sends are recorded. */
function harness(handler: EventHandler, options: { maxAttempts?: number; deadLetter?: boolean } = {}) {
  let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
  const fakeKafka = {
    consumer: () => ({
      connect: async () => undefined,
      subscribe: async () => undefined,
      run: async (o: { eachMessage: typeof eachMessage }) => {
        eachMessage = o.eachMessage;
      },
      stop: async () => undefined,
      disconnect: async () => undefined,
    }),
  } as unknown as Kafka;
  const sent: Array<{ topic: string; key: string | null; value: string; headers?: Record<string, string> }> =
    [];
  const producer = {
    send: async (topic: string, key: string | null, value: string, headers?: Record<string, string>) => {
      sent.push({ topic, key, value, headers });
    },
    publish: async (topic: Topic, event: { runId: string }) => {
      sent.push({ topic, key: event.runId, value: JSON.stringify(event) });
    },
  } as unknown as EventProducer;
  const consumer = new StageConsumer(
    fakeKafka,
    producer,
    {
      groupId: 'g',
      stage: 'ingest',
      handlers: new Map([[Topics.runRequested, handler]]),
      maxAttempts: options.maxAttempts ?? 3,
      retryBackoffMs: 5,
      deadLetter: options.deadLetter,
    },
    createLogger({}, () => undefined),
  );
  const deliver = async (value: string, key = 'r1') => {
    await eachMessage?.({
      topic: Topics.runRequested,
      partition: 0,
      message: { key: Buffer.from(key), value: Buffer.from(value), offset: '7', headers: {} },
      heartbeat: async () => undefined,
    } as unknown as EachMessagePayload);
  };
  return { consumer, sent, deliver };
}

const valid = JSON.stringify({ ...newEnvelope('r1'), config: {} });

describe('stage consumer: bounded retries, then the dead-letter topic', () => {
  it('retries a failing handler with backoff and stops retrying once it succeeds', async () => {
    const attempts: number[] = [];
    const h = harness(async (_e, meta) => {
      attempts.push(meta.attempt);
      if (meta.attempt < 3) throw new Error('broker hiccup');
    });
    await h.consumer.start();
    await h.deliver(valid);
    expect(attempts).toEqual([1, 2, 3]);
    expect(h.sent).toEqual([]);
  });

  it('dead-letters after maxAttempts with the error and marks the run failed', async () => {
    let calls = 0;
    const h = harness(async () => {
      calls += 1;
      throw new Error('disk full');
    });
    await h.consumer.start();
    await h.deliver(valid);
    expect(calls).toBe(3);
    expect(h.sent.map((s) => s.topic)).toEqual([`${Topics.runRequested}.dlq`, Topics.runFailed]);
    expect(h.sent[0]).toMatchObject({ key: 'r1', value: valid });
    expect(h.sent[0].headers).toMatchObject({
      'ftune-error': 'ingest: disk full',
      'ftune-attempts': '3',
      'ftune-source-offset': '7',
    });
    expect(JSON.parse(h.sent[1].value)).toMatchObject({
      runId: 'r1',
      stage: 'ingest',
      reason: 'ingest: disk full',
    });
  });

  it('dead-letters invalid messages and user errors at once, without retrying', async () => {
    let calls = 0;
    const h = harness(async () => {
      calls += 1;
      throw new UserError('bad config');
    });
    await h.consumer.start();
    await h.deliver('{"runId": "r2", oops', 'r2');
    await h.deliver(JSON.stringify({ runId: 'r3' }), 'r3');
    await h.deliver(valid);
    expect(calls).toBe(1);
    expect(
      h.sent.filter((s) => s.topic.endsWith('.dlq')).map((s) => [s.key, s.headers?.['ftune-attempts']]),
    ).toEqual([
      ['r2', '1'],
      ['r3', '1'],
      ['r1', '1'],
    ]);
    expect(h.sent.filter((s) => s.topic === Topics.runFailed).map((s) => s.key)).toEqual(['r2', 'r3', 'r1']);
  });

  it('only skips a bad message when it does not own the topic (the read model)', async () => {
    const h = harness(async () => undefined, { deadLetter: false });
    await h.consumer.start();
    await h.deliver('not json');
    expect(h.sent).toEqual([]);
  });
});
