// Vitest global setup of tests/tracking: a real MLflow tracking server (`mlflow server` from the pinned
// mlflow package, in the venv tools/golden/setup-venv.sh keeps outside the repository) with a SQLite
// store and a local artifact folder in a temporary directory, on 127.0.0.1 and a free port, stopped with
// its whole process group at the end. The first run on a machine installs the venv (a few minutes).
// Tests read `inject('mlflowUri')`, and `inject('trackingPython')` for TensorBoard's reader.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port> of the MLflow server started by this setup. */
    mlflowUri: string;
    /** The python of the tracking venv (mlflow, tensorboard). */
    trackingPython: string;
  }
}

const START_TIMEOUT_MS = Number(process.env.FTUNE_MLFLOW_START_TIMEOUT_MS ?? 240_000);

/** Creates or reuses the tracking venv; returns its folder. */
export function trackingVenv(): string {
  const script = resolve(__dirname, '../../tools/golden/setup-venv.sh');
  const out = execFileSync('bash', [script, 'tracking'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return out.trim().split('\n').pop() as string;
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitHealthy(uri: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`mlflow server exited with ${child.exitCode}:\n${log()}`);
    try {
      if ((await fetch(`${uri}/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`mlflow server did not answer ${uri}/health within ${START_TIMEOUT_MS} ms:\n${log()}`);
}

let server: ChildProcess | undefined;
let dataDir: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const venv = trackingVenv();
  dataDir = mkdtempSync(join(tmpdir(), 'ftune-mlflow-'));
  const port = await freePort();
  const uri = `http://127.0.0.1:${port}`;
  let output = '';
  const t0 = Date.now();
  server = spawn(
    join(venv, 'bin', 'mlflow'),
    [
      'server',
      '--backend-store-uri',
      `sqlite:///${join(dataDir, 'mlflow.db')}`,
      '--artifacts-destination',
      join(dataDir, 'artifacts'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--workers',
      '1',
    ],
    {
      cwd: dataDir,
      detached: true, // its own process group: uvicorn and its workers stop with it
      stdio: ['ignore', 'pipe', 'pipe'],
      // the background job runner (huey consumers) serves features ftune does not use
      env: { ...process.env, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false' },
    },
  );
  const keep = (b: Buffer) => void (output = (output + b.toString()).slice(-4000));
  server.stdout?.on('data', keep);
  server.stderr?.on('data', keep);
  await waitHealthy(uri, server, () => output);
  process.stderr.write(`mlflow: server on ${uri} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  project.provide('mlflowUri', uri);
  project.provide('trackingPython', join(venv, 'bin', 'python'));
}

export async function teardown(): Promise<void> {
  const child = server;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 15_000);
    await exited;
    clearTimeout(timer);
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
