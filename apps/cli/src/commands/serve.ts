// `ftune serve [--service NAME]`: one of the six services in this process (what the Helm chart runs:
// `serve --service NAME --port PORT`), or, without --service, all six as child processes on their
// default ports against one broker (`npm run kafka:start`) and one artifact store. Flags override the
// environment (FTUNE_KAFKA_BROKERS, FTUNE_ARTIFACTS_DIR, FTUNE_AUTH_TOKEN, FTUNE_GRPC_PORT).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { readUserFile, UserError } from '@ftune/common';
// the service kit's configuration alone: the kit itself loads NestJS, gRPC and Kafka
import { SERVICE_NAMES, SERVICE_PORTS, type ServiceName } from '@ftune/transport/config';

interface ServeFlags {
  service?: string;
  port?: string;
  portBase?: string;
  brokers?: string;
  artifacts?: string;
  authTokenFile?: string;
  host?: string;
}

function applyFlags(flags: ServeFlags): void {
  // the train service's job runner starts `ftune train-job` through this entry
  process.env.FTUNE_CLI_ENTRY ??= require.resolve('@ftune/cli/bin/ftune.js');
  if (flags.brokers) process.env.FTUNE_KAFKA_BROKERS = flags.brokers;
  if (flags.artifacts) process.env.FTUNE_ARTIFACTS_DIR = resolve(flags.artifacts);
  // the token comes from a file, never from the command line, where `ps` shows it to every user
  if (flags.authTokenFile)
    process.env.FTUNE_AUTH_TOKEN = readUserFile(flags.authTokenFile, 'auth token file').trim();
  if (flags.host) process.env.FTUNE_GRPC_HOST = flags.host;
}

function serveOne(name: string, port: string | undefined): void {
  if (!(SERVICE_NAMES as string[]).includes(name)) {
    throw new UserError(`--service must be one of ${SERVICE_NAMES.join(', ')}, got "${name}"`);
  }
  if (port) process.env.FTUNE_GRPC_PORT = port;
  process.env.OTEL_SERVICE_NAME ??= `ftune-${name}`;
  // Each app's main.ts starts its service; apps are loaded by path, never imported as libraries.
  require(resolve(__dirname, '../../..', name, 'src/main.ts'));
}

async function serveAll(flags: ServeFlags): Promise<void> {
  process.env.FTUNE_ARTIFACTS_DIR ??= resolve('ftune-artifacts');
  if (!process.env.FTUNE_AUTH_TOKEN) {
    process.env.FTUNE_AUTH_TOKEN = randomBytes(24).toString('base64url');
    process.stderr.write(
      `ftune serve: no FTUNE_AUTH_TOKEN given; this session's token:\n  export FTUNE_AUTH_TOKEN=${process.env.FTUNE_AUTH_TOKEN}\n`,
    );
  }
  const base = flags.portBase ? Number(flags.portBase) : undefined;
  if (base !== undefined && (!Number.isInteger(base) || base < 1 || base > 65530))
    throw new UserError(`--port-base: expected a port, got "${flags.portBase}"`);
  const bin = process.env.FTUNE_CLI_ENTRY as string;
  const children = new Map<ServiceName, ChildProcess>();
  for (const [i, name] of SERVICE_NAMES.entries()) {
    const port = String(base !== undefined ? base + i : SERVICE_PORTS[name]);
    const child = spawn(process.execPath, [bin, 'serve', '--service', name, '--port', port], {
      stdio: 'inherit',
      env: process.env,
    });
    children.set(name, child);
  }
  process.stderr.write(
    `ftune serve: ${SERVICE_NAMES.length} services, artifacts in ${process.env.FTUNE_ARTIFACTS_DIR}, broker ${process.env.FTUNE_KAFKA_BROKERS ?? '127.0.0.1:9092'}\n`,
  );
  const exits = [...children.entries()].map(
    ([name, child]) =>
      new Promise<number>((done) =>
        child.once('exit', (code, signal) => {
          if (!stopping) process.stderr.write(`ftune serve: ${name} exited (${signal ?? `code ${code}`})\n`);
          done(code ?? 1);
        }),
      ),
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const child of children.values()) if (child.exitCode === null) child.kill(signal);
  };
  process.once('SIGINT', () => stop('SIGTERM'));
  process.once('SIGTERM', () => stop('SIGTERM'));
  const codes = await Promise.all(exits);
  if (!stopping && codes.some((c) => c !== 0)) process.exitCode = 1;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start one service (--service) or all six locally, over gRPC and Kafka')
    .option('--service <name>', `one of ${SERVICE_NAMES.join(', ')}; all six when omitted`)
    .option('--port <port>', 'gRPC port of --service (default: its own, 50051-50056)')
    .option('--port-base <port>', 'without --service: pipeline on this port, the others on the next five')
    .option('--brokers <list>', 'Kafka bootstrap servers (FTUNE_KAFKA_BROKERS, default 127.0.0.1:9092)')
    .option(
      '--artifacts <dir>',
      'artifact store folder (FTUNE_ARTIFACTS_DIR; all six: default ./ftune-artifacts)',
    )
    .option(
      '--auth-token-file <file>',
      'file holding the bearer token every call must carry (or FTUNE_AUTH_TOKEN)',
    )
    .option('--host <host>', 'address the gRPC servers bind (default 0.0.0.0)')
    .action(async (flags: ServeFlags) => {
      applyFlags(flags);
      if (flags.service) serveOne(flags.service, flags.port);
      else await serveAll(flags);
    });
}
