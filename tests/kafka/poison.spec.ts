// Poison messages that take their process down: a handler that blocks the event loop for good (the
// test, playing the liveness probe, kills the process once it stops answering) and one that kills its
// own process. The consumer process is restarted each time, as its supervisor would; every start counts
// an attempt in the artifact store, so after MAX_ATTEMPTS the next process sends each message to
// `<topic>.dlq` with its run.failed instead of running it again, and the message behind them on the
// same partition is handled.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dlqTopic, newEnvelope, Topics } from '@ftune/contracts';
import { createKafka, ensureTopics, EventProducer } from '@ftune/transport';

const brokers = inject('kafkaBrokers');
const CHILD = resolve(__dirname, '../support/poison-consumer.ts');
const RUNTIME_TSCONFIG = resolve(__dirname, '../../apps/cli/tsconfig.runtime.json');
const MAX_ATTEMPTS = 2;

interface Tapped {
  topic: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

function startChild(env: NodeJS.ProcessEnv): ChildProcess {
  const boot = `require('tsx/cjs/api').register(); require(${JSON.stringify(CHILD)});`;
  return spawn(process.execPath, ['-e', boot], {
    env: { ...process.env, TSX_TSCONFIG_PATH: RUNTIME_TSCONFIG, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Resolves when the child exits, or kills it once `alive` has not been rewritten for 3 s (a hang). */
async function superviseOnce(child: ChildProcess, alive: string, done: () => boolean): Promise<string> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      return `exited (${child.signalCode ?? child.exitCode})`;
    if (done()) {
      child.kill('SIGKILL');
      return 'done';
    }
    const beat = existsSync(alive) ? statSync(alive).mtimeMs : 0;
    if (beat > started && Date.now() - beat > 3000) {
      child.kill('SIGKILL'); // the liveness probe's verdict on a blocked event loop
      await new Promise((r) => child.once('exit', r));
      return 'killed (hung)';
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('poison messages that crash or hang their process', () => {
  const store = mkdtempSync(join(tmpdir(), 'ftune-poison-'));
  const prefix = `p${randomBytes(4).toString('hex')}.`;
  let tap: Consumer | undefined;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    child?.kill('SIGKILL');
    await tap?.disconnect();
    rmSync(store, { recursive: true, force: true });
  });

  it(
    `reach the dead-letter topic after ${MAX_ATTEMPTS} attempts, however the process dies`,
    { timeout: 300_000 },
    async () => {
      const kafka = createKafka(
        { brokers: [brokers], groupPrefix: prefix, ssl: false, topicPrefix: prefix },
        'poison-spec',
      );
      await ensureTopics(kafka, prefix, 1); // one partition: the good message waits behind the poison ones
      const producer = new EventProducer(kafka, prefix);
      for (const runId of ['hang-1', 'crash-1', 'good-1']) {
        await producer.publish(Topics.runRequested, { ...newEnvelope(runId), config: {} });
      }
      await producer.close();

      const tapped: Tapped[] = [];
      tap = new Kafka({ clientId: 'poison-tap', brokers: [brokers], logLevel: logLevel.NOTHING }).consumer({
        groupId: `${prefix}tap`,
        maxWaitTimeInMs: 200,
      });
      await tap.connect();
      await tap.subscribe({
        topics: [dlqTopic(Topics.runRequested), Topics.runFailed].map((t) => prefix + t),
        fromBeginning: true,
      });
      await tap.run({
        eachMessage: async ({ topic, message }) => {
          const headers: Record<string, string> = {};
          for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v);
          tapped.push({
            topic: topic.slice(prefix.length),
            key: String(message.key),
            value: String(message.value),
            headers,
          });
        },
      });

      const handled = () => existsSync(join(store, 'handled-good-1'));
      const outcomes: string[] = [];
      // hang and crash use MAX_ATTEMPTS processes each; one more hands both to the dead-letter topic
      for (let start = 0; start < 2 * MAX_ATTEMPTS + 3 && !handled(); start++) {
        child = startChild({
          BROKERS: brokers,
          PREFIX: prefix,
          STORE: store,
          MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        });
        outcomes.push(await superviseOnce(child, join(store, 'alive'), handled));
      }
      expect(handled(), `process outcomes: ${outcomes.join(', ')}`).toBe(true);

      const started = readFileSync(join(store, 'started.log'), 'utf8').trim().split('\n');
      expect(started.filter((r) => r === 'hang-1')).toHaveLength(MAX_ATTEMPTS);
      expect(started.filter((r) => r === 'crash-1')).toHaveLength(MAX_ATTEMPTS);
      expect(outcomes.slice(0, 2 * MAX_ATTEMPTS)).toEqual([
        ...Array<string>(MAX_ATTEMPTS).fill('killed (hung)'),
        ...Array<string>(MAX_ATTEMPTS).fill('exited (SIGKILL)'),
      ]);

      const deadline = Date.now() + 30_000;
      while (tapped.filter((m) => m.topic === Topics.runFailed).length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
      }
      const dead = tapped.filter((m) => m.topic === dlqTopic(Topics.runRequested));
      expect(dead.map((m) => m.key)).toEqual(['hang-1', 'crash-1']);
      for (const m of dead) {
        expect(m.headers['ftune-attempts']).toBe(String(MAX_ATTEMPTS));
        expect(m.headers['ftune-error']).toMatch(
          /gave up after 2 attempts; the last: the process handling it ended/,
        );
      }
      const failed = tapped.filter((m) => m.topic === Topics.runFailed).map((m) => m.key);
      expect(failed.sort()).toEqual(['crash-1', 'hang-1']);
      // the counts of settled messages are removed
      const counts = join(store, '_deliveries', `${prefix}poison`, Topics.runRequested, '0');
      expect(readdirSync(counts).filter((f) => f.endsWith('.json'))).toEqual([]);
    },
  );
});
