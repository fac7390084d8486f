// gRPC over TLS and mutual TLS, against a real `ftune serve` process with certificates made by openssl
// for the test: with a client CA set, only a client presenting a certificate that CA signed gets an
// answer — a plaintext client, a TLS client without a certificate and one with a certificate of another
// CA are all refused at the handshake — and the plaintext health port answers probes.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { grpcClient, unary } from '@ftune/transport';
import { CLI, freePort, healthCheck } from './cluster';

const dir = mkdtempSync(join(tmpdir(), 'ftune-tls-'));
const pem = (name: string) => readFileSync(join(dir, name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A CA, and a certificate it signs for `name` with the given extensions. */
function makeCa(ca: string): void {
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-subj', `/CN=${ca}`);
}
function signed(ca: string, name: string, ext: string): void {
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`);
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: ServiceError) => e.code,
  );

describe('the pipeline service over mutual TLS', { timeout: 300_000 }, () => {
  let child: ChildProcess;
  let port: number;
  let healthPort: number;
  const token = randomBytes(18).toString('base64url');
  const logs: string[] = [];

  beforeAll(async () => {
    makeCa('ca');
    makeCa('rogue-ca');
    signed('ca', 'server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    signed('ca', 'client', 'extendedKeyUsage=clientAuth\n');
    signed('rogue-ca', 'intruder', 'extendedKeyUsage=clientAuth\n');
    port = await freePort();
    healthPort = await freePort();
    const prefix = `t${randomBytes(4).toString('hex')}.`;
    child = spawn(process.execPath, [CLI, 'serve', '--service', 'pipeline', '--port', String(port)], {
      env: {
        ...process.env,
        FTUNE_AUTH_TOKEN: token,
        FTUNE_ARTIFACTS_DIR: mkdtempSync(join(tmpdir(), 'ftune-tls-store-')),
        FTUNE_KAFKA_BROKERS: inject('kafkaBrokers'),
        FTUNE_KAFKA_TOPIC_PREFIX: prefix,
        FTUNE_KAFKA_GROUP_PREFIX: `${prefix}ftune`,
        FTUNE_GRPC_HOST: '127.0.0.1',
        FTUNE_GRPC_TLS_CERT: join(dir, 'server.crt'),
        FTUNE_GRPC_TLS_KEY: join(dir, 'server.key'),
        FTUNE_GRPC_TLS_CLIENT_CA: join(dir, 'ca.crt'),
        FTUNE_HEALTH_PORT: String(healthPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => logs.push(b.toString('utf8')));
    child.stderr?.on('data', (b: Buffer) => logs.push(b.toString('utf8')));
    const until = Date.now() + 240_000;
    while ((await healthCheck(`127.0.0.1:${healthPort}`).catch(() => 'DOWN')) !== 'SERVING') {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`not SERVING:\n${logs.join('')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 300_000);

  afterAll(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  const listRuns = (options: Parameters<typeof grpcClient>[3]) => {
    const client = grpcClient('pipeline', `127.0.0.1:${port}`, token, options);
    return unary(client, 'listRuns', {}, 5000).finally(() => client.close());
  };

  it('answers a client with a certificate its CA signed', async () => {
    expect(await listRuns({ ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') })).toMatchObject({
      runs: [],
    });
  });

  it('refuses plaintext, a TLS client without a certificate and one whose certificate another CA signed', async () => {
    const UNAVAILABLE = 14;
    expect(await codeOf(listRuns({}))).toBe(UNAVAILABLE);
    expect(await codeOf(listRuns({ ca: pem('ca.crt') }))).toBe(UNAVAILABLE);
    expect(
      await codeOf(listRuns({ ca: pem('ca.crt'), cert: pem('intruder.crt'), key: pem('intruder.key') })),
    ).toBe(UNAVAILABLE);
    // a client that does not trust the server's CA refuses the server too
    expect(
      await codeOf(listRuns({ ca: pem('rogue-ca.crt'), cert: pem('client.crt'), key: pem('client.key') })),
    ).toBe(UNAVAILABLE);
  });

  it('answers health probes on the plaintext health port, and nothing else there', async () => {
    expect(await healthCheck(`127.0.0.1:${healthPort}`)).toBe('SERVING');
    const onHealthPort = grpcClient('pipeline', `127.0.0.1:${healthPort}`, token);
    const UNIMPLEMENTED = 12;
    expect(await codeOf(unary(onHealthPort, 'listRuns', {}, 5000))).toBe(UNIMPLEMENTED);
    onHealthPort.close();
  });
});
