// The cluster's job runner (FTUNE_TRAIN_RUNNER=kubernetes, as the Helm chart sets): each training job
// is a Kubernetes Job made from the chart's template (FTUNE_TRAIN_JOB_TEMPLATE, its RUN_ID filled in)
// in the service's namespace, created through the API server with the pod's service account. The Job
// runs `ftune train-job --run-id <id> --resume` on the GPU pool; Kubernetes restarts a failed pod
// (backoffLimit) and the job resumes from its last checkpoint; pods stopped by Kubernetes itself
// (eviction, preemption, a drain) are not counted (the template's podFailurePolicy).
//
// - Names: `ftune-train-<readable part>-<hash of the exact run id>`, at most 63 characters, so run ids
//   that read alike (`Run_A`, `run-a`, `run.a`) get Jobs of their own; the exact run id is the Job's
//   annotation `ftune.dev/run-id`.
// - Creating: a 409 is success only when the existing Job carries this run id. A creation the API
//   server refuses fails the run (run.failed with the server's message); one it cannot answer (network,
//   5xx, 429) is tried again a few times first. `ensure` resolves only then, before the offset commits.
// - Watching: the runner lists and watches the Jobs of the template's labels. A Job that failed
//   (its Failed condition: backoffLimit exhausted, deadline, pod failure policy), completed without a
//   result, or disappeared while its run is unfinished fails the run with the reason.
// - Adoption: on start (`resumeAll`) the first listing picks up the Jobs left by the previous service
//   process, creates the Jobs of runs recorded but never submitted, and fails runs whose Job is gone.
// - Cancelling deletes the Job and its pods. Service shutdown leaves Jobs running.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import type { ArtifactStore } from '@ftune/storage';
import { UserError } from '@ftune/common';
import { errorText, type EventProducer, type Logger } from '@ftune/transport';
import { failJob, ProcessJobRunner, type JobRunner } from './job-runner';
import { cancelJobRecord, jobFinished, readJob, updateJob, type JobRecord } from './train-jobs';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Annotation holding the exact run id of a training Job. */
export const RUN_ID_ANNOTATION = 'ftune.dev/run-id';
/** Label holding the run part of the Job's name (readable prefix and hash): selectable, unique per run. */
export const RUN_KEY_LABEL = 'ftune.dev/run-key';
/** The template labels that select the Jobs of one ftune release (not its version: Jobs outlive upgrades). */
const SELECTOR_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/component',
];
const PREFIX = 'ftune-train-';
const HASH_CHARS = 10;

export interface KubeResponse {
  status: number;
  body: string;
}

/** One event of a watch stream (one JSON object a line). */
export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

export interface KubeApi {
  /** Sends a request to the API server; resolves with the status code and body. */
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<KubeResponse>;
  /**
   * Streams a watch (`path` with `watch=true`), handing each event to `onEvent`, until the server ends
   * it (resolves), `signal` aborts (resolves) or it breaks (rejects).
   */
  watch(path: string, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
}

/**
 * The in-cluster API server (KUBERNETES_SERVICE_HOST/PORT), over TLS checked against the service
 * account's CA and authenticated with its token (read at each request: the kubelet rotates it).
 */
export function inClusterApi(env: NodeJS.ProcessEnv = process.env, serviceAccountDir = SA): KubeApi {
  const host = env.KUBERNETES_SERVICE_HOST ?? 'kubernetes.default.svc';
  const port = Number(env.KUBERNETES_SERVICE_PORT ?? 443);
  const options = (method: string, path: string, data?: string) => ({
    host,
    port,
    path,
    method,
    ca: readFileSync(`${serviceAccountDir}/ca.crt`),
    headers: {
      authorization: `Bearer ${readFileSync(`${serviceAccountDir}/token`, 'utf8').trim()}`,
      accept: 'application/json',
      ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
    },
  });
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(options(method, path, data), (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
          );
        });
        req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
        req.on('error', reject);
        req.end(data);
      }),
    watch: (path, onEvent, signal) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) return resolve();
        let settled = false;
        const finish = (error?: Error) => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          if (error && !signal.aborted) reject(error);
          else resolve();
        };
        const req = request(options('GET', path), (res) => {
          if (res.statusCode !== 200) {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              finish(
                new Error(
                  `watch answered ${res.statusCode}: ${statusMessage(Buffer.concat(chunks).toString())}`,
                ),
              ),
            );
            return;
          }
          let pending = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            pending += chunk;
            for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
              const line = pending.slice(0, i).trim();
              pending = pending.slice(i + 1);
              if (!line) continue;
              try {
                onEvent(JSON.parse(line) as WatchEvent);
              } catch (error) {
                req.destroy(error as Error);
                return;
              }
            }
          });
          res.on('end', () => finish());
          res.on('error', (e) => finish(e));
          res.on('close', () => finish(res.complete ? undefined : new Error('watch stream broken')));
        });
        const onAbort = () => {
          req.destroy();
          finish();
        };
        signal.addEventListener('abort', onAbort, { once: true });
        // the server ends a watch within its timeoutSeconds; silence beyond that is a dead connection
        req.setTimeout(10 * 60_000, () => req.destroy(new Error('watch silent for 10 minutes')));
        req.on('error', (e) => finish(e));
        req.end();
      }),
  };
}

/** The `message` of a Kubernetes Status body, or the start of the body. */
function statusMessage(body: string): string {
  try {
    const status = JSON.parse(body) as { message?: unknown };
    if (typeof status.message === 'string') return status.message;
  } catch {
    // not JSON: the body itself
  }
  return body.slice(0, 300);
}

/**
 * The Job name of a run: a readable DNS-1123 label prefix (lowercase letters, digits, '-') and a hash
 * of the exact run id, at most 63 characters.
 */
export function jobName(runId: string): string {
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, HASH_CHARS);
  const readable = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 63 - PREFIX.length - 1 - HASH_CHARS)
    .replace(/-+$/, '');
  return `${PREFIX}${readable ? `${readable}-` : ''}${hash}`;
}

interface KubeJob {
  metadata: {
    name: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  status?: {
    failed?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** The chart's Job template with the run filled in: its name, run id annotation and label, arguments. */
export function jobManifest(
  templateYaml: string,
  runId: string,
  extraEnv: Record<string, string> = {},
): Record<string, unknown> {
  const job = parseYaml(templateYaml) as KubeJob & {
    spec: {
      template: {
        spec: { containers: Array<{ args?: string[]; env?: Array<{ name: string; value?: string }> }> };
      };
    };
  };
  const name = jobName(runId);
  job.metadata.name = name;
  job.metadata.labels = { ...job.metadata.labels, [RUN_KEY_LABEL]: name.slice(PREFIX.length) };
  job.metadata.annotations = { ...job.metadata.annotations, [RUN_ID_ANNOTATION]: runId };
  for (const c of job.spec.template.spec.containers) {
    c.args = c.args?.map((a) => (a === 'RUN_ID' ? runId : a));
    c.env = [...(c.env ?? []), ...Object.entries(extraEnv).map(([name, value]) => ({ name, value }))];
  }
  return job as unknown as Record<string, unknown>;
}

/** The label selector of the template's Jobs (its name, instance and component labels). */
export function jobSelector(templateYaml: string): string {
  const labels = (parseYaml(templateYaml) as KubeJob).metadata?.labels ?? {};
  const terms = SELECTOR_LABELS.filter((k) => labels[k]).map((k) => `${k}=${labels[k]}`);
  if (!terms.length)
    throw new UserError(`the training Job template needs one of the labels ${SELECTOR_LABELS.join(', ')}`);
  return terms.join(',');
}

const condition = (job: KubeJob, type: string) =>
  job.status?.conditions?.find((c) => c.type === type && c.status === 'True');

export interface KubernetesRunnerOptions {
  api?: KubeApi;
  /** Tries to create a Job the API server could not answer (network, 5xx, 429) before the run fails. */
  createAttempts?: number;
  /** Wait before the second try, doubling after. */
  retryDelayMs?: number;
  /** Wait before watching again after the watch broke. */
  rewatchDelayMs?: number;
  /**
   * How long a Job that completed or disappeared may leave its run's record unfinished before the run
   * fails (the pod writes the record before it exits; a shared volume may show it late).
   */
  settleMs?: number;
  /** `timeoutSeconds` asked of each watch. */
  watchSeconds?: number;
}

type Created = { ok: true; job: KubeJob } | { ok: false; retry: boolean; reason: string };

export class KubernetesJobRunner implements JobRunner {
  private readonly api: KubeApi;
  private readonly jobsPath: string;
  private readonly selector: string;
  private readonly abort = new AbortController();
  private watching: Promise<void> | undefined;
  private firstSync: Promise<void> | undefined;
  private markSynced: () => void = () => undefined;
  private adopting = false;
  /** Job handling in arrival order, one at a time. */
  private queue: Promise<void> = Promise.resolve();
  private readonly settling = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly store: ArtifactStore,
    private readonly producer: EventProducer,
    private readonly log: Logger,
    private readonly template: string,
    private readonly namespace: string,
    private readonly options: KubernetesRunnerOptions = {},
  ) {
    this.api = options.api ?? inClusterApi();
    this.jobsPath = `/apis/batch/v1/namespaces/${namespace}/jobs`;
    this.selector = jobSelector(template);
  }

  /** Creates the run's Job (or finds it) and resolves once it exists; a Job that cannot be created fails the run. */
  async ensure(runId: string): Promise<void> {
    const record = readJob(this.store, runId);
    if (!record || jobFinished(record)) return;
    this.startWatching();
    const manifest = jobManifest(
      this.template,
      runId,
      record.traceparent ? { TRACEPARENT: record.traceparent } : {},
    );
    const name = jobName(runId);
    const tries = this.options.createAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      const created = await this.create(runId, name, manifest).catch((error: unknown): Created => ({
        ok: false,
        retry: true,
        reason: `the API server did not answer: ${errorText(error)}`,
      }));
      if (created.ok) {
        updateJob(this.store, runId, (j) => {
          j.state = 'running';
          j.attempt = Math.max(j.attempt, 1);
        });
        this.log.info('training Job submitted', { runId, job: name });
        // an existing Job may have ended already
        await this.enqueue(() => this.observe(created.job));
        return;
      }
      if (!created.retry || attempt >= tries) {
        await this.fail(runId, `training Job ${name} not created: ${created.reason}`);
        return;
      }
      this.log.warn('training Job not created; trying again', { runId, attempt, reason: created.reason });
      await sleep((this.options.retryDelayMs ?? 1000) * 2 ** (attempt - 1));
    }
  }

  private async create(runId: string, name: string, manifest: unknown): Promise<Created> {
    const { status, body } = await this.api.call('POST', this.jobsPath, manifest);
    if (status === 201 || status === 200) return { ok: true, job: JSON.parse(body) as KubeJob };
    if (status === 409) {
      const existing = await this.api.call('GET', `${this.jobsPath}/${name}`);
      if (existing.status === 404)
        return { ok: false, retry: true, reason: 'it was deleted while being created' };
      if (existing.status !== 200)
        return { ok: false, retry: true, reason: `${existing.status} ${statusMessage(existing.body)}` };
      const job = JSON.parse(existing.body) as KubeJob;
      const owner = job.metadata.annotations?.[RUN_ID_ANNOTATION];
      if (owner === runId) return { ok: true, job };
      return {
        ok: false,
        retry: false,
        reason: `the name is taken by ${owner === undefined ? 'a Job without a run id' : `the Job of run ${JSON.stringify(owner)}`}, not run ${JSON.stringify(runId)}`,
      };
    }
    return {
      ok: false,
      retry: status === 429 || status >= 500,
      reason: `${status} ${statusMessage(body)}`,
    };
  }

  /**
   * Watches the Jobs; the first listing adopts the Jobs a previous service process left, creates the
   * Jobs of runs recorded but never submitted and fails runs whose Job is gone. Resolves after it.
   */
  resumeAll(): Promise<void> {
    this.adopting = true;
    this.startWatching();
    return this.firstSync ?? Promise.resolve();
  }

  async stopAll(): Promise<void> {
    this.abort.abort();
    for (const timer of this.settling.values()) clearTimeout(timer);
    this.settling.clear();
    this.markSynced();
    await this.watching;
    await this.queue;
  }

  async cancel(runId: string, reason: string): Promise<void> {
    if (!cancelJobRecord(this.store, runId, reason)) return;
    const { status, body } = await this.api
      .call('DELETE', `${this.jobsPath}/${jobName(runId)}?propagationPolicy=Background`)
      .catch((error: unknown) => ({ status: 0, body: errorText(error) }));
    if (status !== 200 && status !== 202 && status !== 404)
      this.log.error('training Job not deleted', { runId, status, error: statusMessage(body) });
  }

  private startWatching(): void {
    if (this.watching || this.abort.signal.aborted) return;
    this.firstSync = new Promise((done) => (this.markSynced = done));
    this.watching = this.watchLoop();
  }

  private async watchLoop(): Promise<void> {
    const signal = this.abort.signal;
    let version: string | undefined;
    while (!signal.aborted) {
      try {
        version ??= await this.sync();
        this.markSynced();
        version = await this.watchFrom(version);
        // 410 Gone: list again, not in a tight loop
        if (version === undefined)
          await sleep(this.options.rewatchDelayMs ?? 1000, undefined, { signal }).catch(() => undefined);
      } catch (error) {
        if (signal.aborted) break;
        this.log.warn('watching training Jobs failed; listing them again', { error: errorText(error) });
        version = undefined;
        await sleep(this.options.rewatchDelayMs ?? 1000, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  /** Lists the Jobs and handles each; returns the list's resourceVersion to watch from. */
  private async sync(): Promise<string> {
    const adopting = this.adopting;
    // read before listing: a record submitted before the listing has its Job in it
    const unfinished = adopting ? this.unfinishedRecords() : [];
    const { status, body } = await this.api.call(
      'GET',
      `${this.jobsPath}?labelSelector=${encodeURIComponent(this.selector)}`,
    );
    if (status !== 200) throw new Error(`listing Jobs answered ${status}: ${statusMessage(body)}`);
    const list = JSON.parse(body) as { metadata: { resourceVersion: string }; items: KubeJob[] };
    const present = new Set<string>();
    for (const job of list.items) {
      const runId = job.metadata.annotations?.[RUN_ID_ANNOTATION];
      if (runId !== undefined) present.add(runId);
      await this.enqueue(() => this.observe(job));
    }
    if (adopting) {
      this.adopting = false;
      for (const record of unfinished) {
        if (present.has(record.runId)) continue;
        if (record.attempt === 0) {
          await this.ensure(record.runId).catch((error: unknown) =>
            this.log.error('training Job not created', { runId: record.runId, error: errorText(error) }),
          );
        } else {
          await this.enqueue(() =>
            this.failUnlessFinished(
              record.runId,
              `training Job ${jobName(record.runId)} is gone: deleted, or removed after it ended while the train service was down`,
            ),
          );
        }
      }
    }
    return list.metadata.resourceVersion;
  }

  /** Watches from `version`; returns the version to go on from, or undefined to list again (410 Gone). */
  private async watchFrom(version: string): Promise<string | undefined> {
    let latest: string | undefined = version;
    const query = new URLSearchParams({
      labelSelector: this.selector,
      watch: 'true',
      resourceVersion: version,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(this.options.watchSeconds ?? 300),
    });
    await this.api.watch(
      `${this.jobsPath}?${query.toString()}`,
      (event) => {
        if (event.type === 'ERROR') {
          const code = (event.object as { code?: number }).code;
          if (code !== 410)
            this.log.warn('watch error', { error: JSON.stringify(event.object).slice(0, 300) });
          latest = undefined;
          return;
        }
        const job = event.object as unknown as KubeJob;
        if (job.metadata?.resourceVersion && latest !== undefined) latest = job.metadata.resourceVersion;
        if (event.type === 'BOOKMARK') return;
        void this.enqueue(() => (event.type === 'DELETED' ? this.gone(job) : this.observe(job)));
      },
      this.abort.signal,
    );
    await this.queue;
    return latest;
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) =>
        this.log.error('handling a training Job failed', { error: errorText(error) }),
      );
    return this.queue;
  }

  /** A Job as listed or watched: its run fails when the Job failed, or completed without a result. */
  private async observe(job: KubeJob): Promise<void> {
    const runId = job.metadata.annotations?.[RUN_ID_ANNOTATION];
    if (runId === undefined) return;
    const record = readJob(this.store, runId);
    if (!record || jobFinished(record)) return;
    const failed = condition(job, 'Failed');
    if (failed) {
      const pods = job.status?.failed ? `, ${job.status.failed} failed pod(s)` : '';
      await this.fail(
        runId,
        `training Job ${job.metadata.name} failed: ${failed.reason ?? 'Failed'}${failed.message ? ` (${failed.message})` : ''}${pods}`,
      );
    } else if (condition(job, 'Complete')) {
      this.settle(runId, `training Job ${job.metadata.name} completed without recording a result`);
    }
  }

  private async gone(job: KubeJob): Promise<void> {
    const runId = job.metadata.annotations?.[RUN_ID_ANNOTATION];
    if (runId === undefined) return;
    const record = readJob(this.store, runId);
    if (!record || jobFinished(record)) return;
    if (condition(job, 'Failed')) return this.observe(job);
    this.settle(runId, `training Job ${job.metadata.name} was deleted before its run finished`);
  }

  /** Fails the run after `settleMs` unless its record has finished by then. */
  private settle(runId: string, reason: string): void {
    if (this.settling.has(runId) || this.abort.signal.aborted) return;
    const timer = setTimeout(() => {
      this.settling.delete(runId);
      void this.enqueue(() => this.failUnlessFinished(runId, reason));
    }, this.options.settleMs ?? 60_000);
    timer.unref();
    this.settling.set(runId, timer);
  }

  private async failUnlessFinished(runId: string, reason: string): Promise<void> {
    const record = readJob(this.store, runId);
    if (record && !jobFinished(record)) await this.fail(runId, reason);
  }

  private fail(runId: string, reason: string): Promise<void> {
    return failJob(this.store, this.producer, this.log, runId, reason);
  }

  private unfinishedRecords(): JobRecord[] {
    return this.store
      .listRuns()
      .map((runId) => readJob(this.store, runId))
      .filter((job): job is JobRecord => job !== undefined && !jobFinished(job));
  }
}

/** Injection token of the train service's job runner. */
export const JOB_RUNNER = Symbol('JobRunner');

/** The runner FTUNE_TRAIN_RUNNER names: `process` (default: child processes) or `kubernetes` (Jobs from FTUNE_TRAIN_JOB_TEMPLATE in POD_NAMESPACE). */
export function createJobRunner(
  store: ArtifactStore,
  producer: EventProducer,
  log: Logger,
  env: NodeJS.ProcessEnv = process.env,
): JobRunner {
  const kind = env.FTUNE_TRAIN_RUNNER || 'process';
  if (kind === 'process') return new ProcessJobRunner(store, producer, log);
  if (kind !== 'kubernetes')
    throw new UserError(`FTUNE_TRAIN_RUNNER: process or kubernetes, got ${JSON.stringify(kind)}`);
  const file = env.FTUNE_TRAIN_JOB_TEMPLATE;
  if (!file || !env.POD_NAMESPACE) {
    throw new UserError('FTUNE_TRAIN_RUNNER=kubernetes needs FTUNE_TRAIN_JOB_TEMPLATE and POD_NAMESPACE');
  }
  return new KubernetesJobRunner(store, producer, log, readFileSync(file, 'utf8'), env.POD_NAMESPACE, {
    api: inClusterApi(env),
  });
}
