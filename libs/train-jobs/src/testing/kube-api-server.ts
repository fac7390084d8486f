// For specs: a Kubernetes API server of batch/v1 Jobs on 127.0.0.1, over TLS with a certificate made
// here and a bearer token, with the API's paths, status codes, Status bodies, list and watch streams
// (resourceVersions, BOOKMARKs, 410 ERROR events for compacted versions, the server ending a watch at
// its timeoutSeconds). The spec plays the Job controller (`setStatus`) and injects faults (`failNext`).
// The runner reaches it through its real client (`inClusterApi`) with a service-account folder.
import { generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// --- a self-signed certificate for 127.0.0.1 (DER by hand: node has no certificate writer) ---------
const der = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
};
const seq = (...parts: Buffer[]) => der(0x30, ...parts);
const oid = (dotted: string) => {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) groups.unshift((v & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return der(0x06, Buffer.from(bytes));
};
const time = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));

function selfSignedCertificate(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = der(0x31, seq(oid('2.5.4.3'), der(0x0c, Buffer.from('kube-apiserver'))));
  const subject = seq(name);
  const now = Date.now();
  const extensions = der(
    0xa3,
    seq(
      // subjectAltName: IP 127.0.0.1
      seq(oid('2.5.29.17'), der(0x04, seq(der(0x87, Buffer.from([127, 0, 0, 1]))))),
      // basicConstraints: CA (it is its own trust anchor)
      seq(oid('2.5.29.19'), der(0x01, Buffer.from([0xff])), der(0x04, seq(der(0x01, Buffer.from([0xff]))))),
    ),
  );
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.concat([Buffer.from([1]), randomBytes(8)])),
    ecdsaSha256,
    subject,
    seq(time(new Date(now - 3600_000)), time(new Date(now + 86400_000))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const certDer = seq(tbs, ecdsaSha256, der(0x03, Buffer.from([0]), signature));
  const lines = certDer.toString('base64').match(/.{1,64}/g) ?? [];
  const cert = `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
  new X509Certificate(cert); // throws if the encoding is off
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), cert };
}

// --- Job status shapes as the Job controller writes them (batch/v1, Kubernetes 1.30+) ---------------
const stamp = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const cond = (type: string, reason: string, message: string) => ({
  type,
  status: 'True',
  reason,
  message,
  lastProbeTime: stamp(),
  lastTransitionTime: stamp(),
});
export const jobStatus = {
  running: () => ({ active: 1, ready: 1, terminating: 0, startTime: stamp(), uncountedTerminatedPods: {} }),
  failed: (
    reason = 'BackoffLimitExceeded',
    message = 'Job has reached the specified backoff limit',
    pods = 4,
  ) => ({
    failed: pods,
    ready: 0,
    terminating: 0,
    startTime: stamp(),
    uncountedTerminatedPods: {},
    conditions: [cond('FailureTarget', reason, message), cond('Failed', reason, message)],
  }),
  complete: () => ({
    succeeded: 1,
    ready: 0,
    terminating: 0,
    startTime: stamp(),
    completionTime: stamp(),
    uncountedTerminatedPods: {},
    conditions: [
      cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods'),
    ],
  }),
};

type Job = {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: unknown;
  status?: unknown;
};
type Event = { type: 'ADDED' | 'MODIFIED' | 'DELETED'; rv: number; job: Job };

/** The API verb Kubernetes authorizes for a request (what RBAC rules name). */
export type Verb = 'create' | 'get' | 'list' | 'watch' | 'delete';

export interface KubeApiServer {
  port: number;
  /** The service-account folder (ca.crt, token) and environment `inClusterApi` reads. */
  serviceAccountDir: string;
  env: NodeJS.ProcessEnv;
  /** The requests answered, with the verb RBAC would check. */
  requests: Array<{ method: string; path: string; verb: Verb }>;
  jobs: Map<string, Job>;
  /** Stores a Job as if created by someone (a previous service process, another release). */
  put(job: Job): void;
  /** The Job controller's update of a Job's status (a MODIFIED event). */
  setStatus(name: string, status: unknown): void;
  /** Deletes a Job (as kubectl or the TTL controller would). */
  remove(name: string): void;
  /** Answers the next `count` requests of `verb` with `status` and a Status body with `message`. */
  failNext(verb: Verb, status: number, message: string, count?: number): void;
  /** Compacts the event history: watches from a resourceVersion older than the current one get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream, as the server does at their timeout. */
  endWatches(): void;
  openWatches(): number;
  close(): Promise<void>;
}

function statusBody(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}
const REASONS: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'AlreadyExists',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

function matches(job: Job, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(',').every((term) => {
    const [key, value] = term.split('=');
    const labels = job.metadata.labels ?? {};
    return value === undefined ? key in labels : labels[key] === value;
  });
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function startKubeApiServer(namespace: string): Promise<KubeApiServer> {
  const { key, cert } = selfSignedCertificate();
  const serviceAccountDir = mkdtempSync(join(tmpdir(), 'ftune-sa-'));
  const token = randomBytes(16).toString('hex');
  writeFileSync(join(serviceAccountDir, 'ca.crt'), cert);
  writeFileSync(join(serviceAccountDir, 'token'), `${token}\n`);

  const jobs = new Map<string, Job>();
  let rv = 100;
  let history: Event[] = [];
  let oldest = rv;
  const watchers = new Set<{ res: ServerResponse; selector: string | null }>();
  const faults: Array<{ verb: Verb; status: number; message: string }> = [];
  const requests: KubeApiServer['requests'] = [];

  const emit = (type: Event['type'], job: Job) => {
    const event = { type, rv, job: structuredClone(job) };
    history.push(event);
    for (const w of watchers)
      if (matches(job, w.selector) && !w.res.writableEnded)
        w.res.write(`${JSON.stringify({ type, object: event.job })}\n`);
  };
  const store = (job: Job, type: 'ADDED' | 'MODIFIED') => {
    rv += 1;
    job.metadata.resourceVersion = String(rv);
    jobs.set(job.metadata.name, job);
    emit(type, job);
  };
  const remove = (name: string) => {
    const job = jobs.get(name);
    if (!job) return false;
    jobs.delete(name);
    rv += 1;
    job.metadata.resourceVersion = String(rv);
    emit('DELETED', job);
    return true;
  };

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, message: string) =>
    send(res, status, statusBody(status, REASONS[status] ?? 'Unknown', message));

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    if (req.headers.authorization !== `Bearer ${token}`) return refuse(res, 401, 'Unauthorized');
    const base = `/apis/batch/v1/namespaces/${namespace}/jobs`;
    const name = url.pathname.startsWith(`${base}/`) ? url.pathname.slice(base.length + 1) : undefined;
    if (url.pathname !== base && name === undefined)
      return refuse(res, 404, 'the server could not find the requested resource');
    const watch = url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    const verb: Verb =
      req.method === 'POST'
        ? 'create'
        : req.method === 'DELETE'
          ? 'delete'
          : name
            ? 'get'
            : watch
              ? 'watch'
              : 'list';
    requests.push({ method: req.method ?? '', path: req.url ?? '', verb });
    const fault = faults.findIndex((f) => f.verb === verb);
    if (fault >= 0) {
      const [f] = faults.splice(fault, 1);
      return refuse(res, f.status, f.message);
    }
    const selector = url.searchParams.get('labelSelector');
    switch (verb) {
      case 'create': {
        const job = JSON.parse(body) as Job;
        if (job.apiVersion !== 'batch/v1' || job.kind !== 'Job')
          return refuse(res, 400, 'not a batch/v1 Job');
        const n = job.metadata?.name ?? '';
        if (n.length > 63 || !DNS_LABEL.test(n))
          return refuse(
            res,
            422,
            `Job.batch "${n}" is invalid: metadata.name: Invalid value: "${n}": must be no more than 63 characters and a DNS-1123 label`,
          );
        if (jobs.has(n)) return refuse(res, 409, `jobs.batch "${n}" already exists`);
        job.metadata = {
          ...job.metadata,
          namespace,
          uid: randomBytes(16).toString('hex'),
          creationTimestamp: stamp(),
          generation: 1,
        };
        job.status = {};
        store(job, 'ADDED');
        return send(res, 201, job);
      }
      case 'get': {
        const job = jobs.get(name ?? '');
        return job ? send(res, 200, job) : refuse(res, 404, `jobs.batch "${name}" not found`);
      }
      case 'delete':
        return remove(name ?? '')
          ? send(res, 200, {
              kind: 'Status',
              apiVersion: 'v1',
              metadata: {},
              status: 'Success',
              details: { name, group: 'batch', kind: 'jobs' },
            })
          : refuse(res, 404, `jobs.batch "${name}" not found`);
      case 'list':
        return send(res, 200, {
          kind: 'JobList',
          apiVersion: 'batch/v1',
          metadata: { resourceVersion: String(rv) },
          items: [...jobs.values()].filter((j) => matches(j, selector)),
        });
      case 'watch': {
        const from = Number(url.searchParams.get('resourceVersion') ?? rv);
        res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
        if (from < oldest) {
          res.end(
            `${JSON.stringify({ type: 'ERROR', object: statusBody(410, 'Expired', `too old resource version: ${from} (${oldest})`) })}\n`,
          );
          return;
        }
        for (const e of history)
          if (e.rv > from && matches(e.job, selector))
            res.write(`${JSON.stringify({ type: e.type, object: e.job })}\n`);
        if (url.searchParams.get('allowWatchBookmarks') === 'true')
          res.write(
            `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Job', apiVersion: 'batch/v1', metadata: { resourceVersion: String(rv) } } })}\n`,
          );
        const watcher = { res, selector };
        watchers.add(watcher);
        const seconds = Number(url.searchParams.get('timeoutSeconds') ?? 1800);
        const timer = setTimeout(() => res.end(), seconds * 1000);
        res.on('close', () => {
          clearTimeout(timer);
          watchers.delete(watcher);
        });
        return;
      }
    }
  };

  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    serviceAccountDir,
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) },
    requests,
    jobs,
    put: (job) => store(structuredClone(job), 'ADDED'),
    setStatus: (name, status) => {
      const job = jobs.get(name);
      if (!job) throw new Error(`no Job ${name}`);
      store({ ...job, status }, 'MODIFIED');
    },
    remove: (name) => {
      if (!remove(name)) throw new Error(`no Job ${name}`);
    },
    failNext: (verb, status, message, count = 1) => {
      for (let i = 0; i < count; i++) faults.push({ verb, status, message });
    },
    compact: () => {
      history = [];
      oldest = rv;
    },
    endWatches: () => {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
    openWatches: () => watchers.size,
    close: () =>
      new Promise<void>((done) => {
        for (const w of watchers) w.res.end();
        watchers.clear();
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
