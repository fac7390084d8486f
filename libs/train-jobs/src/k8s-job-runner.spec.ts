import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { newEnvelope } from '@ftune/contracts';
import { ArtifactStore } from '@ftune/storage';
import { jobManifest, jobName, KubernetesJobRunner, type KubeApi } from './k8s-job-runner';
import { createLogger } from '@ftune/transport';
import { readJob, recordJob } from './train-jobs';

// The shape of the Helm chart's train-job template (k8s/chart/ftune/templates/train-job.yaml).
const TEMPLATE = `
apiVersion: batch/v1
kind: Job
metadata:
  name: ftune-train-RUN_ID
  labels: { app.kubernetes.io/component: train-job }
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

describe('training Jobs on Kubernetes', () => {
  it('fills the run into the chart template: a DNS-1123 name and the run id in the arguments', () => {
    const job = jobManifest(TEMPLATE, 'My_Run.7', { TRACEPARENT: '00-abc-def-01' }) as {
      metadata: { name: string };
      spec: { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string }> }> } } };
    };
    expect(job.metadata.name).toBe('ftune-train-my-run-7');
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['train-job', '--run-id', 'My_Run.7', '--resume']);
    expect(c.env.map((e) => e.name)).toEqual(['OTEL_SERVICE_NAME', 'TRACEPARENT']);
    expect(jobName('x'.repeat(100))).toHaveLength(63);
  });

  it('creates the Job once per run and deletes it on cancel', async () => {
    const calls: Array<[string, string]> = [];
    const api: KubeApi = {
      call: async (method, path) => {
        calls.push([method, path]);
        return { status: calls.length === 1 ? 201 : 409, body: '' };
      },
    };
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-k8s-')));
    recordJob(store, {
      ...newEnvelope('r1'),
      datasetDir: 'runs/r1/ingest',
      tokenizedDir: 'runs/r1/tokenize',
      tokens: 1,
    });
    const runner = new KubernetesJobRunner(
      store,
      createLogger({}, () => undefined),
      TEMPLATE,
      'ml',
      api,
    );
    runner.ensure('r1');
    runner.ensure('r1');
    await new Promise((r) => setTimeout(r, 10));
    expect(calls).toEqual([
      ['POST', '/apis/batch/v1/namespaces/ml/jobs'],
      ['POST', '/apis/batch/v1/namespaces/ml/jobs'],
    ]);
    expect(readJob(store, 'r1')?.state).toBe('running');
    runner.cancel('r1', 'stop');
    expect(calls[2]).toEqual([
      'DELETE',
      '/apis/batch/v1/namespaces/ml/jobs/ftune-train-r1?propagationPolicy=Background',
    ]);
    expect(readJob(store, 'r1')).toMatchObject({ state: 'cancelled', error: 'stop' });
  });
});
