// The Kubernetes job runner through its real client (inClusterApi: TLS against the service account's
// CA, its bearer token) against a batch/v1 Jobs API server on 127.0.0.1 (./testing/kube-api-server.ts):
// names, 409s, creation failures, failed Jobs, adoption after a restart, cancelling, and the API verbs
// it uses — the ones the chart's Role grants (k8s/chart.spec.ts).
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newEnvelope, Topics, type Topic } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { createLogger, type EventProducer } from '@ftune/transport';
import {
  inClusterApi,
  jobManifest,
  jobName,
  KubernetesJobRunner,
  RUN_ID_ANNOTATION,
  RUN_KEY_LABEL,
  type KubernetesRunnerOptions,
} from './k8s-job-runner';
import { jobStatus, startKubeApiServer, type KubeApiServer, type Verb } from './testing/kube-api-server';
import { readJob, recordJob, updateJob } from './train-jobs';
import { until } from './testing/until';

// The shape of the Helm chart's train-job template (k8s/chart/ftune/templates/train-job.yaml).
const TEMPLATE = `
apiVersion: batch/v1
kind: Job
metadata:
  name: ftune-train-RUN_ID
  labels:
    app.kubernetes.io/name: ftune
    app.kubernetes.io/instance: ftune
    app.kubernetes.io/version: "0.1.0"
    app.kubernetes.io/component: train-job
spec:
  backoffLimit: 3
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: train
          image: ghcr.io/ftune/ftune-train-gpu:0.1.0
          args: ["train-job", "--run-id", "RUN_ID", "--resume"]
          env: [{ name: OTEL_SERVICE_NAME, value: ftune-train-job }]
`;
const NS = 'ml';
/** The verbs the chart's Role grants on batch/v1 Jobs (k8s/chart.spec.ts checks the Role has exactly these). */
const GRANTED: Verb[] = ['create', 'delete', 'get', 'list', 'watch'];

type Published = { topic: Topic; runId: string; reason?: string };

/** A producer that records what it publishes, or refuses while `down`. */
function recordingProducer() {
  const sent: Published[] = [];
  const state = { down: false };
  const producer = {
    publish: async (topic: Topic, event: { runId: string; reason?: string }) => {
      if (state.down) throw new Error('broker unreachable');
      sent.push({ topic, runId: event.runId, reason: event.reason });
    },
  } as unknown as EventProducer;
  return { producer, sent, state };
}

const record = (store: ArtifactStore, runId: string) =>
  recordJob(store, {
    ...newEnvelope(runId),
    datasetDir: `runs/${runId}/ingest`,
    tokenizedDir: `runs/${runId}/tokenize`,
    tokens: 1,
  });

const usedVerbs = new Set<Verb>();

describe('training Jobs on Kubernetes', () => {
  let server: KubeApiServer;
  let store: ArtifactStore;
  let events: ReturnType<typeof recordingProducer>;
  const runners: KubernetesJobRunner[] = [];
  const runner = (options: KubernetesRunnerOptions = {}) => {
    const r = new KubernetesJobRunner(
      store,
      events.producer,
      createLogger({}, () => undefined),
      TEMPLATE,
      NS,
      {
        api: inClusterApi(server.env, server.serviceAccountDir),
        retryDelayMs: 10,
        rewatchDelayMs: 10,
        settleMs: 50,
        ...options,
      },
    );
    runners.push(r);
    return r;
  };
  const failures = () => events.sent.filter((e) => e.topic === Topics.runFailed);

  beforeEach(async () => {
    server = await startKubeApiServer(NS);
    store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-k8s-')));
    events = recordingProducer();
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stopAll()));
    for (const r of server.requests) usedVerbs.add(r.verb);
    await server.close();
  });
  afterAll(() => {
    // every verb the runner called is granted, and every granted verb is used
    expect([...usedVerbs].sort()).toEqual(GRANTED);
  });

  it('names Jobs without collisions: a readable DNS-1123 prefix, a hash of the exact run id, at most 63 characters', async () => {
    const ids = ['Run_A', 'run-a', 'run.a', 'x'.repeat(128), '-', `${'a'.repeat(60)}_${'b'.repeat(60)}`];
    const names = ids.map(jobName);
    expect(new Set(names).size).toBe(ids.length);
    for (const n of names) {
      expect(n.length).toBeLessThanOrEqual(63);
      expect(n).toMatch(/^ftune-train-([a-z0-9-]*[a-z0-9]-)?[0-9a-f]{10}$/);
    }
    expect(names[0]).toMatch(/^ftune-train-run-a-[0-9a-f]{10}$/);
    expect(jobName('Run_A')).toBe(names[0]); // stable

    const r = runner();
    for (const id of ['Run_A', 'run-a', 'run.a']) {
      record(store, id);
      await r.ensure(id);
    }
    expect([...server.jobs.keys()].sort()).toEqual(names.slice(0, 3).sort());
    for (const id of ['Run_A', 'run-a', 'run.a']) {
      const job = server.jobs.get(jobName(id));
      expect(job?.metadata.annotations?.[RUN_ID_ANNOTATION]).toBe(id);
      expect(job?.metadata.labels?.[RUN_KEY_LABEL]).toBe(jobName(id).slice('ftune-train-'.length));
      expect(readJob(store, id)).toMatchObject({ state: 'running', attempt: 1 });
    }
    expect(failures()).toEqual([]);
  });

  it('fills the run into the chart template: its run id in the arguments, the trace in the environment', () => {
    const job = jobManifest(TEMPLATE, 'My_Run.7', { TRACEPARENT: '00-abc-def-01' }) as {
      metadata: { name: string; labels: Record<string, string> };
      spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string }> }> } } };
    };
    expect(job.metadata.name).toBe(jobName('My_Run.7'));
    expect(job.metadata.labels['app.kubernetes.io/component']).toBe('train-job');
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['train-job', '--run-id', 'My_Run.7', '--resume']);
    expect(c.env.map((e) => e.name)).toEqual(['OTEL_SERVICE_NAME', 'TRACEPARENT']);
  });

  it('takes a 409 as success only when the existing Job carries this run id', async () => {
    const r = runner();
    record(store, 'r1');
    await r.ensure('r1');
    await r.ensure('r1'); // the message delivered again: 409, the Job is this run's
    expect(server.requests.filter((q) => q.verb === 'create')).toHaveLength(2);
    expect(server.jobs.size).toBe(1);
    expect(readJob(store, 'r1')?.state).toBe('running');
    expect(failures()).toEqual([]);

    // a Job of the same name that belongs to another run (or to no run) is no success
    record(store, 'r2');
    const foreign = jobManifest(TEMPLATE, 'other-run') as { metadata: { name: string } };
    foreign.metadata.name = jobName('r2');
    server.put(foreign as never);
    await r.ensure('r2');
    expect(failures()).toHaveLength(1);
    expect(failures()[0].runId).toBe('r2');
    expect(failures()[0].reason).toContain('"other-run"');
    expect(failures()[0].reason).toContain('"r2"');
    expect(readJob(store, 'r2')).toMatchObject({ state: 'failed' });
    expect(server.jobs.get(jobName('r2'))?.metadata.annotations?.[RUN_ID_ANNOTATION]).toBe('other-run');
  });

  it('fails the run with the API server’s reason when it refuses the Job, before ensure resolves', async () => {
    const r = runner();
    record(store, 'denied');
    server.failNext(
      'create',
      403,
      'jobs.batch "x" is forbidden: ValidatingAdmissionPolicy \'ftune-ml-train-jobs\' denied request: a training Job runs one container',
    );
    await r.ensure('denied');
    expect(failures()).toEqual([
      {
        topic: Topics.runFailed,
        runId: 'denied',
        reason: expect.stringContaining('ValidatingAdmissionPolicy') as unknown as string,
      },
    ]);
    expect(readJob(store, 'denied')).toMatchObject({ state: 'failed' });
    expect(server.jobs.size).toBe(0);
  });

  it('tries again while the API server cannot answer, then fails the run; an unpublished failure rejects', async () => {
    const r = runner({ createAttempts: 3 });
    record(store, 'flaky');
    server.failNext('create', 503, 'etcdserver: leader changed', 2);
    await r.ensure('flaky');
    expect(server.jobs.has(jobName('flaky'))).toBe(true);
    expect(failures()).toEqual([]);

    record(store, 'down');
    server.failNext('create', 500, 'Internal error occurred: etcd timeout', 3);
    events.state.down = true;
    // neither the Job nor the failure: the caller must not commit the message
    await expect(r.ensure('down')).rejects.toThrow('broker unreachable');
    expect(readJob(store, 'down')?.state).toBe('queued');
    events.state.down = false;
    server.failNext('create', 500, 'Internal error occurred: etcd timeout', 3);
    await r.ensure('down');
    expect(failures().map((f) => f.runId)).toEqual(['down']);
    expect(failures()[0].reason).toContain('etcd timeout');
    expect(readJob(store, 'down')?.state).toBe('failed');
  });

  it('turns a failed Job (backoffLimit exhausted) into run.failed with the reason', async () => {
    const r = runner();
    record(store, 'r1');
    record(store, 'r2');
    await r.ensure('r1');
    await r.ensure('r2');
    server.setStatus(jobName('r1'), jobStatus.running());
    server.setStatus(jobName('r1'), jobStatus.failed());
    await until('run.failed of r1', () => failures().length === 1);
    expect(failures()[0]).toMatchObject({ runId: 'r1' });
    expect(failures()[0].reason).toContain('BackoffLimitExceeded');
    expect(failures()[0].reason).toContain('4 failed pod(s)');
    expect(readJob(store, 'r1')).toMatchObject({ state: 'failed' });

    // the watch ends (server timeout), a change follows and the history is compacted past the
    // runner's version: its watch gets 410 Gone, and it lists again
    server.endWatches();
    server.setStatus(jobName('r2'), jobStatus.running());
    server.compact();
    await until('the watch to reopen', () => server.openWatches() === 1);
    server.setStatus(
      jobName('r2'),
      jobStatus.failed('DeadlineExceeded', 'Job was active longer than specified deadline', 1),
    );
    await until('run.failed of r2', () => failures().length === 2);
    expect(failures()[1].reason).toContain('DeadlineExceeded');
    expect(server.requests.filter((q) => q.verb === 'list').length).toBeGreaterThanOrEqual(2);
    expect(readJob(store, 'r2')).toMatchObject({ state: 'failed' });
  });

  it('fails a run whose Job completed without a result or was deleted, unless the record finishes meanwhile', async () => {
    const r = runner({ settleMs: 300 });
    for (const id of ['done', 'hollow', 'deleted']) {
      record(store, id);
      await r.ensure(id);
    }
    server.setStatus(jobName('done'), jobStatus.complete());
    updateJob(store, 'done', (j) => {
      j.state = 'succeeded'; // the pod wrote its result; the service sees it within the settle time
    });
    server.setStatus(jobName('hollow'), jobStatus.complete());
    server.remove(jobName('deleted'));
    await until('two run.failed', () => failures().length === 2);
    const reasons = Object.fromEntries(failures().map((f) => [f.runId, f.reason]));
    expect(reasons.hollow).toContain('completed without recording a result');
    expect(reasons.deleted).toContain('was deleted before its run finished');
    expect(readJob(store, 'done')?.state).toBe('succeeded');
  });

  it('adopts the Jobs a previous service process left after a restart', async () => {
    const before = runner();
    for (const id of ['running', 'failedWhileDown', 'succeeded', 'removedWhileDown']) {
      record(store, id);
      await before.ensure(id);
    }
    await before.stopAll();
    await until('the watch to close', () => server.openWatches() === 0);
    // while no service ran: one Job failed, one finished, one was removed, one run was recorded only
    server.setStatus(jobName('failedWhileDown'), jobStatus.failed());
    server.setStatus(jobName('succeeded'), jobStatus.complete());
    updateJob(store, 'succeeded', (j) => {
      j.state = 'succeeded';
    });
    server.remove(jobName('removedWhileDown'));
    record(store, 'neverSubmitted');

    const after = runner();
    await after.resumeAll();
    const reasons = Object.fromEntries(failures().map((f) => [f.runId, f.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['failedWhileDown', 'removedWhileDown']);
    expect(reasons.failedWhileDown).toContain('BackoffLimitExceeded');
    expect(reasons.removedWhileDown).toContain('is gone');
    expect(server.jobs.has(jobName('neverSubmitted'))).toBe(true);
    expect(readJob(store, 'neverSubmitted')).toMatchObject({ state: 'running', attempt: 1 });

    // and it watches the adopted ones
    await until('the watch', () => server.openWatches() === 1);
    server.setStatus(jobName('running'), jobStatus.failed());
    await until('run.failed of the adopted Job', () => failures().length === 3);
    expect(failures()[2].runId).toBe('running');
    expect(readJob(store, 'running')?.state).toBe('failed');
  });

  it('deletes the Job on cancel; the run is cancelled, not failed', async () => {
    const r = runner();
    record(store, 'r1');
    await r.ensure('r1');
    await r.cancel('r1', 'stop');
    expect(server.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: `/apis/batch/v1/namespaces/${NS}/jobs/${jobName('r1')}?propagationPolicy=Background`,
    });
    expect(server.jobs.size).toBe(0);
    expect(readJob(store, 'r1')).toMatchObject({ state: 'cancelled', error: 'stop' });
    await new Promise((done) => setTimeout(done, 200)); // past the settle time of the DELETED event
    expect(failures()).toEqual([]);
  });

  it('lists and watches only the Jobs of the template’s release, authenticated with the token', async () => {
    const r = runner();
    await r.resumeAll();
    await until('the watch', () => server.openWatches() === 1);
    const selector = encodeURIComponent(
      'app.kubernetes.io/name=ftune,app.kubernetes.io/instance=ftune,app.kubernetes.io/component=train-job',
    );
    expect(server.requests.map((q) => q.path)).toEqual([
      `/apis/batch/v1/namespaces/${NS}/jobs?labelSelector=${selector}`,
      expect.stringMatching(
        new RegExp(
          `^/apis/batch/v1/namespaces/${NS}/jobs\\?labelSelector=${selector.replace(/[%.]/g, '\\$&')}&watch=true&resourceVersion=\\d+`,
        ),
      ) as unknown as string,
    ]);
    // the server checks the token the runner sent: another one is refused
    const wrongDir = mkdtempSync(join(tmpdir(), 'ftune-sa-'));
    copyFileSync(join(server.serviceAccountDir, 'ca.crt'), join(wrongDir, 'ca.crt'));
    writeFileSync(join(wrongDir, 'token'), 'not-the-token');
    const wrong = await inClusterApi(server.env, wrongDir).call(
      'GET',
      `/apis/batch/v1/namespaces/${NS}/jobs`,
    );
    expect(wrong.status).toBe(401);
  });
});
