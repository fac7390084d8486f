// The six services as six processes (`ftune serve --service NAME --port PORT`, as the Helm chart runs
// them) on free ports, against the real broker, with their own artifact store, bearer token and Kafka
// topic prefix so that no other run's events reach them.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { ClientReadableStream } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import type { pipeline } from '@ftune/proto';
import { grpcClient, SERVICE_NAMES, type GrpcClient, type ServiceName } from '@ftune/transport';

export const CLI = resolve(__dirname, '../../apps/cli/bin/ftune.js');

export interface Cluster {
  token: string;
  store: string;
  prefix: string;
  env: NodeJS.ProcessEnv;
  ports: Record<ServiceName, number>;
  address(name: ServiceName): string;
  /** Starts (or restarts) one service and waits until its health check says SERVING. */
  start(name: ServiceName): Promise<ChildProcess>;
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** The process of a started service. */
  child(name: ServiceName): ChildProcess;
  stop(): Promise<void>;
  logs: string[];
}

/** Copies the bundled sentiment example into the store as `datasets/reviews.jsonl`. */
export function addSentimentDataset(store: string): void {
  mkdirSync(join(store, 'datasets'), { recursive: true });
  copyFileSync(
    resolve(__dirname, '../../examples/sentiment/reviews.jsonl'),
    join(store, 'datasets/reviews.jsonl'),
  );
}

/** A StartRun config: the tiny model, 12 steps on 200 records of `datasets/reviews.jsonl`. */
export function remoteRunConfig(name: string, evaluation = { samples: 2, bootstrap: 50 }): string {
  return `
name: ${name}
dataset:
  path: datasets/reviews.jsonl
  maxRecords: 200
model:
  preset: tiny
training:
  maxSteps: 12
  batchSize: 8
  saveSteps: 4
evaluation:
  samples: ${evaluation.samples}
  bootstrap: ${evaluation.bootstrap}
`;
}

/** WatchRun to its end: every message the stream sent. */
export function watchRun(client: GrpcClient, runId: string): Promise<pipeline.WatchRunResponse[]> {
  return new Promise((done, fail) => {
    const messages: pipeline.WatchRunResponse[] = [];
    const stream = (client.watchRun as (r: unknown) => ClientReadableStream<pipeline.WatchRunResponse>).call(
      client,
      { runId },
    );
    stream.on('data', (m: pipeline.WatchRunResponse) => messages.push(m));
    stream.on('error', fail);
    stream.on('end', () => done(messages));
  });
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => done(port));
    });
  });
}

/** grpc.health.v1 Check against `address`; resolves with the serving status name. */
export function healthCheck(address: string, deadlineMs = 2000): Promise<string> {
  const def = grpc.loadPackageDefinition(
    loadSync(healthProto, { keepCase: true, enums: String, defaults: true }),
  );
  const Health = ((def.grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
  const Ctor = Health.Health as grpc.ServiceClientConstructor;
  const client = new Ctor(address, grpc.credentials.createInsecure());
  return new Promise<string>((done, fail) => {
    client.Check(
      { service: '' },
      { deadline: Date.now() + deadlineMs },
      (e: grpc.ServiceError | null, r: { status: string }) => {
        client.close();
        if (e) fail(e);
        else done(r.status);
      },
    );
  });
}

async function waitServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service at ${address} exited with code ${child.exitCode}`);
    const status = await healthCheck(address).catch(() => 'DOWN');
    if (status === 'SERVING') return;
    if (Date.now() > until)
      throw new Error(`service at ${address} not SERVING after ${timeoutMs} ms (${status})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function startCluster(brokers: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Cluster> {
  const token = randomBytes(18).toString('base64url');
  const store = mkdtempSync(join(tmpdir(), 'ftune-services-'));
  const prefix = `t${randomBytes(4).toString('hex')}.`;
  const ports = {} as Record<ServiceName, number>;
  for (const name of SERVICE_NAMES) ports[name] = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FTUNE_AUTH_TOKEN: token,
    FTUNE_ARTIFACTS_DIR: store,
    FTUNE_KAFKA_BROKERS: brokers,
    FTUNE_KAFKA_TOPIC_PREFIX: prefix,
    FTUNE_KAFKA_GROUP_PREFIX: `${prefix}ftune`,
    FTUNE_GRPC_HOST: '127.0.0.1',
    FTUNE_KAFKA_RETRY_BACKOFF_MS: '100',
    FTUNE_BACKEND: process.env.FTUNE_BACKEND ?? '',
    ...extraEnv,
  };
  if (!env.FTUNE_BACKEND) delete env.FTUNE_BACKEND;
  const children = new Map<ServiceName, ChildProcess>();
  const logs: string[] = [];
  const cluster: Cluster = {
    token,
    store,
    prefix,
    env,
    ports,
    logs,
    address: (name) => `127.0.0.1:${ports[name]}`,
    async start(name) {
      const child = spawn(
        process.execPath,
        [CLI, 'serve', '--service', name, '--port', String(ports[name])],
        {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const file = createWriteStream(join(store, 'services.log'), { flags: 'a' });
      const keep = (b: Buffer) => {
        file.write(b);
        for (const line of b.toString('utf8').split('\n')) if (line) logs.push(line);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      children.set(name, child);
      await waitServing(cluster.address(name), child, 240_000);
      return child;
    },
    async kill(name, signal = 'SIGKILL') {
      const child = children.get(name);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill(signal);
      await exited;
    },
    child(name) {
      const child = children.get(name);
      if (!child) throw new Error(`${name} was not started`);
      return child;
    },
    async stop() {
      await Promise.all(SERVICE_NAMES.map((n) => cluster.kill(n, 'SIGTERM')));
      if (!process.env.FTUNE_KEEP_TEST_STORE) rmSync(store, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(SERVICE_NAMES.map((n) => cluster.start(n)));
  } catch (e) {
    await cluster.stop();
    throw new Error(`${(e as Error).message}\n${logs.slice(-40).join('\n')}`);
  }
  return cluster;
}

/** The cluster with the sentiment dataset in its store, and a pipeline client (RunService) with its token. */
export async function startRunCluster(
  brokers: string,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ cluster: Cluster; runs: GrpcClient }> {
  const cluster = await startCluster(brokers, extraEnv);
  addSentimentDataset(cluster.store);
  return { cluster, runs: grpcClient('pipeline', cluster.address('pipeline'), cluster.token) };
}
