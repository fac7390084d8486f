// The cluster's job runner (FTUNE_TRAIN_RUNNER=kubernetes, as the Helm chart sets): each training job
// is a Kubernetes Job made from the chart's template (FTUNE_TRAIN_JOB_TEMPLATE, its RUN_ID filled in)
// in the service's namespace, created through the API server with the pod's service account. The Job
// runs `ftune train-job --run-id <id> --resume` on the GPU pool; Kubernetes restarts a failed pod
// (backoffLimit) and the job resumes from its last checkpoint. Creating is idempotent (409 = exists);
// cancelling deletes the Job and its pods. Not covered here: watching a Job that fails every retry
// without recording its failure (the job record then stays `running`).
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse as parseYaml } from 'yaml';
import type { ArtifactStore } from '@ftune/storage';
import { UserError } from '@ftune/common';
import type { EventProducer, Logger } from '@ftune/transport';
import { ProcessJobRunner, type JobRunner } from './job-runner';
import { cancelJobRecord, jobFinished, readJob, updateJob } from './train-jobs';

const SA = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeApi {
  /** Sends a request to the API server; resolves with the status code and body. */
  call(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: string }>;
}

/** The in-cluster API server, authenticated with the pod's service account token. */
export function inClusterApi(env: NodeJS.ProcessEnv = process.env): KubeApi {
  const host = env.KUBERNETES_SERVICE_HOST ?? 'kubernetes.default.svc';
  const port = Number(env.KUBERNETES_SERVICE_PORT ?? 443);
  return {
    call: (method, path, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          {
            host,
            port,
            path,
            method,
            ca: readFileSync(`${SA}/ca.crt`),
            headers: {
              authorization: `Bearer ${readFileSync(`${SA}/token`, 'utf8').trim()}`,
              'content-type': 'application/json',
              ...(data ? { 'content-length': Buffer.byteLength(data) } : {}),
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
            );
          },
        );
        req.on('error', reject);
        req.end(data);
      }),
  };
}

/** A Kubernetes object name for a run id (DNS-1123 label: lowercase letters, digits, '-'). */
export function jobName(runId: string): string {
  const safe = runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `ftune-train-${safe}`.slice(0, 63).replace(/-+$/, '');
}

/** The chart's Job template with the run filled in: its name, and the run id in the job's arguments. */
export function jobManifest(
  templateYaml: string,
  runId: string,
  extraEnv: Record<string, string> = {},
): Record<string, unknown> {
  const job = parseYaml(templateYaml) as {
    metadata: { name: string; labels?: Record<string, string> };
    spec: {
      template: {
        spec: { containers: Array<{ args?: string[]; env?: Array<{ name: string; value?: string }> }> };
      };
    };
  };
  job.metadata.name = jobName(runId);
  job.metadata.labels = {
    ...job.metadata.labels,
    'ftune.dev/run-id': jobName(runId).slice('ftune-train-'.length),
  };
  for (const c of job.spec.template.spec.containers) {
    c.args = c.args?.map((a) => (a === 'RUN_ID' ? runId : a));
    c.env = [...(c.env ?? []), ...Object.entries(extraEnv).map(([name, value]) => ({ name, value }))];
  }
  return job as unknown as Record<string, unknown>;
}

export class KubernetesJobRunner implements JobRunner {
  constructor(
    private readonly store: ArtifactStore,
    private readonly log: Logger,
    private readonly template: string,
    private readonly namespace: string,
    private readonly api: KubeApi = inClusterApi(),
  ) {}

  ensure(runId: string): void {
    const job = readJob(this.store, runId);
    if (!job || jobFinished(job)) return;
    updateJob(this.store, runId, (j) => {
      j.state = 'running';
      j.attempt = Math.max(j.attempt, 1);
    });
    const manifest = jobManifest(
      this.template,
      runId,
      job.traceparent ? { TRACEPARENT: job.traceparent } : {},
    );
    this.api
      .call('POST', `/apis/batch/v1/namespaces/${this.namespace}/jobs`, manifest)
      .then(({ status, body }) => {
        if (status === 201 || status === 409)
          this.log.info('training Job submitted', { runId, job: jobName(runId), status });
        else this.log.error('training Job not created', { runId, status, body: body.slice(0, 500) });
      })
      .catch((error: unknown) => this.log.error('training Job not created', { runId, error }));
  }

  /** Jobs live on in the cluster; nothing to resume or stop from the service. */
  resumeAll(): void {}

  async stopAll(): Promise<void> {}

  cancel(runId: string, reason: string): void {
    if (!cancelJobRecord(this.store, runId, reason)) return;
    this.api
      .call(
        'DELETE',
        `/apis/batch/v1/namespaces/${this.namespace}/jobs/${jobName(runId)}?propagationPolicy=Background`,
      )
      .catch((error: unknown) => this.log.error('training Job not deleted', { runId, error }));
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
  return new KubernetesJobRunner(store, log, readFileSync(file, 'utf8'), env.POD_NAMESPACE);
}
