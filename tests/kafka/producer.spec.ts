// The services' EventProducer against the real broker through a TCP relay that is down, then up: a
// publish during the outage fails, and once the broker is reachable again the same producer publishes
// (a failed connect is not kept for ever); its health reads false in between.
import { randomUUID } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newEnvelope, Topics } from '@ftune/contracts';
import { EventProducer } from '@ftune/transport';

const [host, port] = inject('kafkaBrokers').split(':');

/** A TCP relay on `listen` to the broker (before it starts, the broker is unreachable there). */
function relay(listen: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(Number(port), host);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  server.on('close', () => sockets.forEach((s) => s.destroy()));
  return new Promise((done) => server.listen(listen, '127.0.0.1', () => done(server)));
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', () => done()));
  const p = (s.address() as { port: number }).port;
  await new Promise((done) => s.close(done));
  return p;
}

describe('EventProducer', () => {
  let server: Server | undefined;
  afterAll(() => server?.close());

  it('publishes again once the broker is back after a failed connect', async () => {
    const listen = await freePort();
    const kafka = new Kafka({
      clientId: `ftune-producer-spec-${randomUUID()}`,
      brokers: [`127.0.0.1:${listen}`],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 500,
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 200 },
    });
    const producer = new EventProducer(kafka, `spec-${randomUUID().slice(0, 8)}-`);
    const event = { ...newEnvelope('r1'), config: {} };
    expect(producer.healthy).toBe(true);
    await expect(producer.publish(Topics.runRequested, event)).rejects.toThrow();
    expect(producer.healthy).toBe(false);
    server = await relay(listen);
    await expect(producer.publish(Topics.runRequested, event)).resolves.toBeUndefined();
    expect(producer.healthy).toBe(true);
    await producer.close();
  }, 60_000);
});
