// A stage's Kafka consumer: at-least-once delivery with bounded retries. Each message is parsed and
// validated against its topic's schema, then handled; the offset is committed only after the handler
// resolved (its artifacts are written and its next event acknowledged). A message that is not valid
// goes straight to `<topic>.dlq`; one whose handler keeps failing goes there after `maxAttempts`
// tries with doubling backoff. Either way the run is marked failed (run.failed.v1) with the reason,
// and the offset moves on — no endless redelivery, no silent drop.
// Attempts are counted in the artifact store before each one starts (./deliveries.ts), so an attempt
// whose process crashed, was killed or hung counts as well; one attempt may take `attemptTimeoutMs`.
// The consumer restarts itself after a crash kafkajs does not recover from (and gives up, for the
// process to be restarted, when new consumers keep crashing), and `healthy` says whether
// it is in its group and heard from the broker within the session timeout (the service's health
// check reads it). `stop()` aborts the handler in hand first: its offset is left for the next owner.
import type { Consumer, ConsumerCrashEvent, EachMessagePayload, Kafka } from 'kafkajs';
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
import type { DeliveryLedger, MessageAt } from './deliveries';
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
  /** Where attempts are counted across processes. */
  ledger: DeliveryLedger;
  /** Longest one attempt may run before it is aborted and counted as failed, ms (default: no limit). */
  attemptTimeoutMs?: number;
  /**
   * Called when a timed-out handler ignores its abort signal: it still runs, so this process must not
   * take the message again (the service exits; the next process counts on from the ledger).
   */
  onStuck?: (reason: string) => void;
  /**
   * Called when consumers started anew keep crashing (GIVE_UP_AFTER crashes, each within a minute of
   * the last): the service exits so that its supervisor starts a fresh process.
   */
  onGiveUp?: (reason: string) => void;
  /** How long a timed-out handler gets to end after its abort signal, ms (default 10 s). */
  abortGraceMs?: number;
  /** How long the broker waits for a heartbeat before it gives the consumer's partitions away (default 30 s). */
  sessionTimeoutMs?: number;
}

/** Crashes in a row (each within CRASH_WINDOW_MS of the last) after which the consumer gives up. */
const GIVE_UP_AFTER = 4;
const CRASH_WINDOW_MS = 60_000;

/** A timed-out handler ignored its abort: this process must not take its message again. */
class StuckHandlerError extends Error {}

/** The service is stopping: the message in hand is left uncommitted, and the attempt is not counted. */
export class ShutdownError extends Error {
  constructor() {
    super('the service is shutting down');
    this.name = 'ShutdownError';
  }
}

/** Errors that a retry cannot cure: the message goes to the dead-letter topic at once. */
export function isPermanent(error: unknown): boolean {
  return error instanceof InvalidEventError || error instanceof UserError || error instanceof SyntaxError;
}

export class StageConsumer {
  private consumer: Consumer | undefined;
  private readonly abort = new AbortController();
  private inFlight = 0;
  private joined = false;
  private lastContact = 0;
  private restarts = 0;
  private lastCrashAt = 0;
  private stopped = false;

  constructor(
    private readonly kafka: Kafka,
    private readonly producer: EventProducer,
    private readonly options: ConsumerOptions,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.options.groupId,
      sessionTimeout: this.sessionTimeout,
      heartbeatInterval: Math.min(3000, this.sessionTimeout / 5),
      maxWaitTimeInMs: 200,
      retry: { retries: 10 },
    });
    this.consumer = consumer;
    const touch = () => {
      if (this.consumer === consumer) this.lastContact = Date.now();
    };
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.consumer !== consumer) return; // a consumer replaced after its crash
      touch();
      this.joined = true;
    });
    consumer.on(consumer.events.HEARTBEAT, touch);
    consumer.on(consumer.events.FETCH, touch);
    consumer.on(consumer.events.CRASH, (e: ConsumerCrashEvent) => this.onCrash(consumer, e));
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

  /**
   * Aborts the handler in hand (its offset stays uncommitted, its attempt uncounted), then leaves the
   * group; resolves once the consumer is disconnected.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    const c = this.consumer;
    this.consumer = undefined;
    if (!c) return;
    await c.stop();
    await c.disconnect();
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** In its group, and heard from the broker within the session timeout. */
  get healthy(): boolean {
    return !this.stopped && this.joined && Date.now() - this.lastContact < this.sessionTimeout;
  }

  private get sessionTimeout(): number {
    return this.options.sessionTimeoutMs ?? 30_000;
  }

  /** kafkajs restarts a consumer after a retriable crash; after any other, this one starts anew. */
  private onCrash(consumer: Consumer, { payload }: ConsumerCrashEvent): void {
    if (this.consumer !== consumer) return;
    this.joined = false;
    this.log.error('kafka consumer crashed', { error: errorText(payload.error), restart: payload.restart });
    if (payload.restart) return;
    const now = Date.now();
    this.restarts = now - this.lastCrashAt < CRASH_WINDOW_MS ? this.restarts : 0;
    this.lastCrashAt = now;
    if (this.restarts + 1 >= GIVE_UP_AFTER && this.options.onGiveUp) {
      this.options.onGiveUp(`the kafka consumer crashed ${this.restarts + 1} times in a row`);
      return;
    }
    this.restartLater(consumer);
  }

  private restartLater(dead: Consumer): void {
    const wait = Math.min(30_000, 1000 * 2 ** this.restarts++);
    const timer = setTimeout(() => {
      if (this.stopped || this.consumer !== dead) return;
      this.log.warn('restarting the kafka consumer', { attempt: this.restarts });
      void dead
        .disconnect()
        .catch(() => undefined)
        .then(() => this.start())
        .catch((error: unknown) => {
          this.log.error('kafka consumer restart failed', { error: errorText(error) });
          if (this.consumer) this.restartLater(this.consumer);
        });
    }, wait);
    timer.unref();
  }

  private async onMessage({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    const t = topic.slice((this.options.topicPrefix ?? '').length) as Topic;
    const handler = this.options.handlers.get(t);
    if (!handler) return;
    if (this.stopped) throw new ShutdownError(); // a batch fetched before stop(): leave it for the next owner
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    const raw = message.value?.toString('utf8') ?? '';
    const key = message.key?.toString('utf8') ?? null;
    const at: MessageAt = { topic: t, partition, offset: message.offset };
    const ledger = this.options.ledger;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 2000);
    this.inFlight += 1;
    try {
      let event: EventByTopic[Topic];
      try {
        event = validateEvent(t, JSON.parse(raw));
      } catch (error) {
        await this.deadLetter(t, partition, message.offset, key, raw, error, 1);
        ledger.done(at);
        return;
      }
      const log = this.log.child({ runId: event.runId, topic: t, offset: message.offset });
      const before = ledger.read(at);
      let lastError = before?.lastError;
      for (let attempt = (before?.attempts ?? 0) + 1; ; attempt++) {
        if (attempt > this.options.maxAttempts) {
          // every attempt was used up, the last ones by processes that did not live to count them
          const why = lastError ?? 'the process handling it ended (crash, kill or hang)';
          const error = new Error(`gave up after ${attempt - 1} attempts; the last: ${why}`);
          await this.deadLetter(t, partition, message.offset, key, raw, error, attempt - 1, event.runId);
          ledger.done(at);
          return;
        }
        ledger.write(at, attempt, lastError);
        try {
          await this.attempt(handler, event, { ...at, topic: t, attempt, headers });
          ledger.done(at);
          return;
        } catch (error) {
          if (error instanceof ShutdownError) {
            ledger.write(at, attempt - 1, lastError); // a stop the service asked for is no failed attempt
            throw error; // the offset stays uncommitted: the next owner of the partition handles it
          }
          lastError = errorText(error);
          ledger.write(at, attempt, lastError);
          if (error instanceof StuckHandlerError) throw error; // counted; the next process goes on
          if (isPermanent(error) || attempt >= this.options.maxAttempts) {
            await this.deadLetter(t, partition, message.offset, key, raw, error, attempt, event.runId);
            ledger.done(at);
            return;
          }
          const wait = this.options.retryBackoffMs * 2 ** (attempt - 1);
          log.warn('handler failed, retrying', { attempt, retryInMs: wait, error: lastError });
          await sleep(wait, this.abort.signal);
        }
      }
    } finally {
      clearInterval(beat);
      this.inFlight -= 1;
    }
  }

  /**
   * One attempt: the handler under its own abort signal, which the service's stop and the attempt
   * timeout both fire. Neither waits for a handler that ignores it: a stop leaves it to the exiting
   * process, a timeout gives it `abortGraceMs` and then reports it stuck.
   */
  private async attempt(
    handler: EventHandler,
    event: EventByTopic[Topic],
    meta: Omit<EventMeta, 'signal'>,
  ): Promise<void> {
    const control = new AbortController();
    const onStop = () => control.abort(new ShutdownError());
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    if (this.abort.signal.aborted) onStop();
    const limit = this.options.attemptTimeoutMs;
    const timer = limit
      ? setTimeout(() => control.abort(new Error(`the handler did not finish within ${limit} ms`)), limit)
      : undefined;
    const run = handler(event, { ...meta, signal: control.signal });
    run.catch(() => undefined); // settled later, or never, once abandoned
    try {
      await Promise.race([run, rejectOnAbort(control.signal)]);
    } catch (error) {
      if (this.abort.signal.aborted) throw new ShutdownError();
      if (control.signal.aborted && !(await settlesWithin(run, this.options.abortGraceMs ?? 10_000))) {
        const reason = `${errorText(control.signal.reason)} and ignored its abort`;
        this.options.onStuck?.(reason);
        throw new StuckHandlerError(reason);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      this.abort.signal.removeEventListener('abort', onStop);
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

/** Waits `ms`; a shutdown ends the wait with ShutdownError. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done, fail) => {
    if (signal.aborted) return fail(new ShutdownError());
    const onAbort = () => {
      clearTimeout(timer);
      fail(new ShutdownError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, fail) => {
    if (signal.aborted) fail(signal.reason);
    else signal.addEventListener('abort', () => fail(signal.reason), { once: true });
  });
}

/** true when `p` settles within `ms`. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((done) => (timer = setTimeout(() => done(false), ms)));
  const settled = p.then(
    () => true as const,
    () => true as const,
  );
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}
