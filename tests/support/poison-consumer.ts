// A stage consumer process for the poison-message tests: the service kit's StageConsumer on the real
// broker, with a handler of run.requested that misbehaves by run id. `crash-*` kills its own process
// (SIGKILL), `hang-*` blocks the event loop for good (as a catastrophic pattern would), anything else
// is handled. Each handler start appends the run id to `<store>/started.log`; while the event loop
// turns, `<store>/alive` is rewritten every 200 ms (the test plays the liveness probe with it).
// Environment: BROKERS, PREFIX, STORE, MAX_ATTEMPTS.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Topics, type Topic } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import {
  createKafka,
  createLogger,
  DeliveryLedger,
  EventProducer,
  StageConsumer,
  type EventHandler,
} from '@ftune/transport';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const store = env('STORE');
const prefix = env('PREFIX');
const log = createLogger({ service: 'poison-consumer' });
const kafka = createKafka(
  { brokers: [env('BROKERS')], groupPrefix: prefix, ssl: false, topicPrefix: prefix },
  'poison',
  log,
);
const producer = new EventProducer(kafka, prefix);

const handler: EventHandler = async (event) => {
  appendFileSync(join(store, 'started.log'), `${event.runId}\n`);
  if (event.runId.startsWith('crash-')) process.kill(process.pid, 'SIGKILL');
  if (event.runId.startsWith('hang-')) for (;;); // the event loop never turns again
  writeFileSync(join(store, `handled-${event.runId}`), '');
};

const group = `${prefix}poison`;
const consumer = new StageConsumer(
  kafka,
  producer,
  {
    groupId: group,
    stage: 'ingest',
    handlers: new Map<Topic, EventHandler>([[Topics.runRequested, handler]]),
    maxAttempts: Number(env('MAX_ATTEMPTS')),
    retryBackoffMs: 50,
    topicPrefix: prefix,
    ledger: new DeliveryLedger(new ArtifactStore(store), group),
    sessionTimeoutMs: 6000,
  },
  log,
);

const beat = () => writeFileSync(join(store, 'alive'), String(Date.now()));
beat(); // before the consumer starts: a handler that blocks at once must still leave a first beat
setInterval(beat, 200);
consumer.start().catch((error: unknown) => {
  log.error('consumer failed to start', { error: String(error) });
  process.exit(2);
});
