import { EventEmitter } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EachMessagePayload, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type Topic } from '@ftune/contracts';
import { UserError } from '@ftune/common';
import { ArtifactStore } from '@ftune/storage';
import { ShutdownError, StageConsumer, type EventHandler } from './consumer';
import { DeliveryLedger } from './deliveries';
import type { EventProducer } from './kafka';
import { createLogger } from './log';

/** A consumer over a fake kafkajs: `deliver` hands one message to eachMessage; sends are recorded. */
function harness(
  handler: EventHandler,
  options: {
    maxAttempts?: number;
    deadLetter?: boolean;
    attemptTimeoutMs?: number;
    abortGraceMs?: number;
    ledger?: DeliveryLedger;
    onGiveUp?: (reason: string) => void;
  } = {},
) {
  const ledger = options.ledger ?? newLedger();
  const stuck: string[] = [];
  let eachMessage: ((p: EachMessagePayload) => Promise<void>) | undefined;
  const created: EventEmitter[] = []; // one per kafkajs consumer the StageConsumer made, for its events
  const fakeKafka = {
    consumer: () => {
      const events = new EventEmitter();
      created.push(events);
      return {
        events: { GROUP_JOIN: 'join', HEARTBEAT: 'beat', FETCH: 'fetch', CRASH: 'crash' },
        on: (name: string, listener: (e: unknown) => void) => {
          events.on(name, listener);
          return () => events.off(name, listener);
        },
        connect: async () => undefined,
        subscribe: async () => undefined,
        run: async (o: { eachMessage: typeof eachMessage }) => {
          eachMessage = o.eachMessage;
        },
        stop: async () => undefined,
        disconnect: async () => undefined,
      };
    },
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
      ledger,
      attemptTimeoutMs: options.attemptTimeoutMs,
      abortGraceMs: options.abortGraceMs,
      onGiveUp: options.onGiveUp,
      onStuck: (reason) => stuck.push(reason),
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
  return { consumer, sent, deliver, ledger, stuck, created };
}

function newLedger(): DeliveryLedger {
  return new DeliveryLedger(new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-ledger-'))), 'g');
}

const AT = { topic: Topics.runRequested, partition: 0, offset: '7' };

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

describe('stage consumer: attempts counted across processes, aborts and timeouts', () => {
  it('goes on counting from the attempts an earlier process recorded', async () => {
    const ledger = newLedger();
    ledger.write(AT, 2, 'worker died');
    let calls = 0;
    const h = harness(
      async () => {
        calls += 1;
        throw new Error('still failing');
      },
      { ledger },
    );
    await h.consumer.start();
    await h.deliver(valid);
    expect(calls).toBe(1);
    expect(h.sent[0].headers).toMatchObject({
      'ftune-attempts': '3',
      'ftune-error': 'ingest: still failing',
    });
    expect(ledger.read(AT)).toBeUndefined();
  });

  it('dead-letters without running the handler when processes died in every attempt', async () => {
    const ledger = newLedger();
    ledger.write(AT, 3);
    let calls = 0;
    const h = harness(
      async () => {
        calls += 1;
      },
      { ledger },
    );
    await h.consumer.start();
    await h.deliver(valid);
    expect(calls).toBe(0);
    expect(h.sent.map((s) => s.topic)).toEqual([`${Topics.runRequested}.dlq`, Topics.runFailed]);
    expect(h.sent[0].headers?.['ftune-attempts']).toBe('3');
    expect(h.sent[0].headers?.['ftune-error']).toMatch(
      /gave up after 3 attempts; the last: the process handling it ended/,
    );
  });

  it('counts the attempt before the handler runs and forgets the message once handled', async () => {
    const seen: Array<number | undefined> = [];
    const h = harness(async () => {
      seen.push(h.ledger.read(AT)?.attempts);
    });
    await h.consumer.start();
    await h.deliver(valid);
    expect(seen).toEqual([1]);
    expect(h.ledger.read(AT)).toBeUndefined();
  });

  it('stop() aborts the handler in hand first, leaves the message uncommitted and its attempt uncounted', async () => {
    let signal: AbortSignal | undefined;
    const h = harness(
      (_e, meta) =>
        new Promise<void>(() => {
          signal = meta.signal; // never settles: stop must not wait for it
        }),
    );
    await h.consumer.start();
    const delivery = h.deliver(valid);
    await new Promise((r) => setTimeout(r, 20));
    expect(h.ledger.read(AT)?.attempts).toBe(1);
    await h.consumer.stop();
    expect(signal?.aborted).toBe(true);
    await expect(delivery).rejects.toBeInstanceOf(ShutdownError);
    expect(h.ledger.read(AT)).toBeUndefined();
    expect(h.sent).toEqual([]);
  });

  it('aborts an attempt that runs past its time and counts it failed', async () => {
    let calls = 0;
    const h = harness(
      (_e, meta) => {
        calls += 1;
        return new Promise<void>((_, fail) =>
          meta.signal.addEventListener('abort', () => fail(meta.signal.reason)),
        );
      },
      { attemptTimeoutMs: 30, maxAttempts: 2 },
    );
    await h.consumer.start();
    await h.deliver(valid);
    expect(calls).toBe(2);
    expect(h.sent[0].headers?.['ftune-error']).toMatch(/did not finish within 30 ms/);
    expect(h.stuck).toEqual([]);
  });
});

describe('stage consumer: a handler that ignores its abort', () => {
  it('is reported stuck and the message is neither retried here nor dead-lettered; its attempt stays counted', async () => {
    let calls = 0;
    const h = harness(
      () => {
        calls += 1;
        return new Promise<void>(() => undefined); // never settles, whatever the signal says
      },
      { attemptTimeoutMs: 20, abortGraceMs: 20 },
    );
    await h.consumer.start();
    await expect(h.deliver(valid)).rejects.toThrow(/did not finish within 20 ms and ignored its abort/);
    expect(calls).toBe(1);
    expect(h.stuck).toHaveLength(1);
    expect(h.sent).toEqual([]);
    expect(h.ledger.read(AT)?.attempts).toBe(1);
  });
});

describe('stage consumer: health and restarts', () => {
  const crash = (restart: boolean) => ({
    payload: { error: new Error('Failed to find group coordinator'), groupId: 'g', restart },
  });

  it('is healthy once in its group, and starts a new consumer after a crash kafkajs does not restart from', async () => {
    const h = harness(async () => undefined);
    await h.consumer.start();
    expect(h.consumer.healthy).toBe(false); // not in its group yet
    h.created[0].emit('join', {});
    expect(h.consumer.healthy).toBe(true);
    h.created[0].emit('crash', crash(false));
    expect(h.consumer.healthy).toBe(false);
    await new Promise((r) => setTimeout(r, 1300)); // the first restart waits 1 s
    expect(h.created).toHaveLength(2);
    h.created[0].emit('join', {}); // the crashed consumer's events no longer count
    expect(h.consumer.healthy).toBe(false);
    h.created[1].emit('join', {});
    expect(h.consumer.healthy).toBe(true);
    await h.consumer.stop();
    expect(h.consumer.healthy).toBe(false);
  });

  it('gives up, for the process to be restarted, after four crashes in a row', async () => {
    const reasons: string[] = [];
    const h = harness(async () => undefined, { onGiveUp: (r) => reasons.push(r) });
    await h.consumer.start();
    h.created[0].emit('join', {});
    for (let i = 0; i < 3; i++) h.created[0].emit('crash', crash(false));
    expect(reasons).toEqual([]);
    h.created[0].emit('crash', crash(false));
    expect(reasons).toEqual(['the kafka consumer crashed 4 times in a row']);
    await h.consumer.stop();
  });

  it('leaves a crash kafkajs restarts from to kafkajs, unhealthy until it rejoins', async () => {
    const h = harness(async () => undefined);
    await h.consumer.start();
    h.created[0].emit('join', {});
    h.created[0].emit('crash', crash(true));
    expect(h.consumer.healthy).toBe(false);
    await new Promise((r) => setTimeout(r, 1300));
    expect(h.created).toHaveLength(1);
    h.created[0].emit('join', {});
    expect(h.consumer.healthy).toBe(true);
  });
});
