import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { byKind, CHART, helm, named, render, schemaErrors, validateObject, type K8sObject } from './render';
import { MODELS, parameters, type SizeRow, sizeTable } from './sizing';

const PROFILES = [undefined, 'values-dev.yaml', 'values-gpu.yaml'];
const STAGES = ['ingest', 'tokenize', 'train', 'evaluate', 'audit'];

type Container = {
  ports?: Array<{ containerPort: number }>;
  readinessProbe?: { grpc?: { port: number } };
  livenessProbe?: { grpc?: { port: number } };
  startupProbe?: { grpc?: { port: number } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
};
type PodSpec = {
  containers: Container[];
  affinity?: { nodeAffinity?: unknown };
  tolerations?: unknown[];
  nodeSelector?: Record<string, string>;
  restartPolicy?: string;
};
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const trainJob = (objs: K8sObject[]): K8sObject =>
  parseYaml(named(objs, 'ConfigMap', '-train-job').data?.['train-job.yaml'] ?? '') as K8sObject;

describe.each(PROFILES)('chart with profile %s', (profile) => {
  const objs = render(profile);

  it('passes helm lint', () => {
    const out = helm(['lint', CHART, ...(profile ? ['-f', `${CHART}/${profile}`] : [])]);
    expect(out).toContain('0 chart(s) failed');
  });

  it('renders objects that all validate against their schemas', async () => {
    expect(objs.length).toBeGreaterThan(20);
    expect(await schemaErrors([...objs, trainJob(objs)])).toEqual([]);
  });

  it('probes every service on its gRPC port with grpc.health.v1', () => {
    const services = byKind(objs, 'Service').filter((s) => !s.metadata.name.endsWith('otel-collector'));
    expect(services).toHaveLength(6);
    for (const svc of services) {
      const dep = named(objs, 'Deployment', svc.metadata.name.replace(/^.*?ftune-/, '-'));
      const c = podSpec(dep).containers[0];
      const port = (svc.spec as { ports: Array<{ port: number }> }).ports[0].port;
      expect(c.ports?.[0].containerPort).toBe(port);
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
        expect(probe?.grpc?.port).toBe(port);
    }
  });
});

describe('GPU training Job', () => {
  it('asks for a GPU on the GPU pool and tolerates its taint', () => {
    const job = trainJob(render('values-gpu.yaml'));
    const spec = podSpec(job);
    expect(job.kind).toBe('Job');
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.containers[0].resources?.limits?.['nvidia.com/gpu']).toBe(1);
    expect(spec.nodeSelector).toEqual({ 'nvidia.com/gpu.present': 'true' });
    expect(spec.tolerations).toEqual([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]);
    expect((job.spec as { backoffLimit: number }).backoffLimit).toBeGreaterThan(0);
  });

  it('does not count pods Kubernetes stopped, or that checkpointed after SIGTERM, against backoffLimit', () => {
    for (const profile of PROFILES) {
      const job = trainJob(render(profile));
      const container = podSpec(job).containers[0] as { name: string };
      expect((job.spec as { podFailurePolicy: unknown }).podFailurePolicy).toEqual({
        rules: [
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          { action: 'Ignore', onExitCodes: { containerName: container.name, operator: 'In', values: [143] } },
        ],
      });
      expect(podSpec(job).restartPolicy).toBe('Never'); // what a pod failure policy needs
    }
  });

  it('has no GPU request, selector or toleration in the dev profile', () => {
    const spec = podSpec(trainJob(render('values-dev.yaml')));
    expect(spec.containers[0].resources?.limits?.['nvidia.com/gpu']).toBeUndefined();
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.tolerations).toBeUndefined();
  });

  it('lets only the train service create Jobs', () => {
    const objs = render();
    const role = named(objs, 'Role', '-train-jobs') as unknown as {
      rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    };
    // exactly what the job runner calls (libs/train-jobs/src/k8s-job-runner.spec.ts checks its calls)
    expect(role.rules.map((r) => ({ ...r, verbs: [...r.verbs].sort() }))).toEqual([
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['create', 'delete', 'get', 'list', 'watch'] },
    ]);
    const binding = named(objs, 'RoleBinding', '-train-jobs') as unknown as {
      subjects: Array<{ name: string }>;
    };
    expect(binding.subjects.map((s) => s.name)).toEqual(['ftune-train']);
    expect(podSpec(named(objs, 'Deployment', '-train')).containers).toHaveLength(1);
  });
});

describe('KEDA scale to zero', () => {
  it('scales each stage on its topic lag with the NestJS -server group id', () => {
    const scaled = byKind(render('values-gpu.yaml'), 'ScaledObject');
    expect(scaled.map((s) => s.metadata.name.replace('ftune-', '')).sort()).toEqual([...STAGES].sort());
    const topics: Record<string, string> = {
      ingest: 'run.requested.v1',
      tokenize: 'dataset.ingested.v1',
      train: 'dataset.tokenized.v1',
      evaluate: 'model.trained.v1',
      audit: 'model.evaluated.v1',
    };
    for (const s of scaled) {
      const stage = s.metadata.name.replace('ftune-', '');
      const spec = s.spec as {
        minReplicaCount: number;
        scaleTargetRef: { name: string };
        triggers: Array<{ type: string; metadata: Record<string, string> }>;
      };
      expect(spec.minReplicaCount).toBe(0);
      expect(spec.scaleTargetRef.name).toBe(`ftune-${stage}`);
      expect(spec.triggers[0].type).toBe('kafka');
      expect(spec.triggers[0].metadata.consumerGroup).toBe(`ftune-${stage}-server`);
      expect(spec.triggers[0].metadata.topic).toBe(topics[stage]);
    }
  });

  it('keeps one train service up while a training pod exists: it watches the Jobs', () => {
    const objs = render('values-gpu.yaml');
    const spec = named(objs, 'ScaledObject', '-train').spec as {
      maxReplicaCount: number;
      triggers: Array<{ type: string; metadata: Record<string, string> }>;
    };
    const workload = spec.triggers.find((t) => t.type === 'kubernetes-workload');
    const podLabels = (trainJob(objs).spec as { template: { metadata: { labels: Record<string, string> } } })
      .template.metadata.labels;
    const terms = workload?.metadata.podSelector.split(',').map((t) => t.split('=')) ?? [];
    expect(terms.map(([k]) => k)).toContain('app.kubernetes.io/component');
    for (const [key, value] of terms) expect(podLabels[key]).toBe(value);
    // replicas from this trigger: ceil(pods / value), one for any plausible number of training pods
    expect(Number(workload?.metadata.value)).toBeGreaterThanOrEqual(100);
    for (const stage of ['ingest', 'tokenize', 'evaluate', 'audit']) {
      const triggers = (
        named(objs, 'ScaledObject', `-${stage}`).spec as { triggers: Array<{ type: string }> }
      ).triggers;
      expect(triggers.map((t) => t.type)).toEqual(['kafka']);
    }
  });

  it('creates no ScaledObject when KEDA is off (dev profile)', () => {
    expect(byKind(render('values-dev.yaml'), 'ScaledObject')).toEqual([]);
  });
});

describe('training Job sizes', () => {
  const values = parseYaml(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as { training: { size: string; sizes: Record<string, SizeRow> } };
  const gib = (q: unknown) => Number(String(q).replace(/Gi$/, ''));

  it('counts the parameters of the Hugging Face GPT-Neo checkpoints and of LoRA r 8 on q_proj, v_proj', () => {
    expect(parameters(MODELS['gpt-neo-125m'])).toEqual({ total: 125_198_592, adapters: 294_912 });
    expect(parameters(MODELS['gpt-neo-1.3b']).total).toBe(1_315_575_808);
    expect(parameters(MODELS['gpt-neo-2.7b']).total).toBe(2_651_307_520);
  });

  it('values.yaml holds the rows k8s/sizing.ts derives, and sizes nothing unless asked', () => {
    expect(values.training.sizes).toEqual(sizeTable());
    expect(values.training.size).toBe('');
    const rows = values.training.sizes;
    for (const model of ['gpt-neo-125m', 'gpt-neo-1.3b', 'gpt-neo-2.7b']) {
      expect(rows[`${model}-lora`].gpuMemoryGiB).toBeLessThanOrEqual(rows[`${model}-full`].gpuMemoryGiB / 2);
      expect(gib(rows[`${model}-lora`].cpuMemory.limit)).toBeLessThan(gib(rows[`${model}-full`].cpuMemory.limit));
    }
    // 1.3B full: 16 bytes per parameter of float32 weights, gradients and AdamW state alone are 19.6 GiB
    expect(rows['gpt-neo-1.3b-full'].gpuMemoryGiB).toBeGreaterThan(19.6);
    expect(rows['gpt-neo-2.7b-full'].gpuMemoryGiB).toBeLessThanOrEqual(80); // one 80 GB GPU
  });

  it.each(['gpt-neo-125m-lora', 'gpt-neo-1.3b-full', 'gpt-neo-2.7b-lora'])('%s on a GPU: host memory, GPU count and a GPU memory floor', async (size) => {
    const row = values.training.sizes[size];
    const job = trainJob(render('values-gpu.yaml', ['--set', `training.size=${size}`]));
    expect(await schemaErrors([job])).toEqual([]);
    const spec = podSpec(job);
    const res = spec.containers[0].resources;
    expect(res?.requests).toMatchObject({ memory: row.memory.request, cpu: '4' });
    expect(res?.limits).toMatchObject({ memory: row.memory.limit, 'nvidia.com/gpu': row.gpus });
    expect(spec.affinity?.nodeAffinity).toEqual({
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'nvidia.com/gpu.memory', operator: 'Gt', values: [String(row.gpuMemoryGiB * 1024 - 1)] }] }],
      },
    });
  });

  it('on the CPU (dev profile): the CPU row\'s memory, no GPU and no affinity', () => {
    const row = values.training.sizes['gpt-neo-1.3b-lora'];
    const spec = podSpec(trainJob(render('values-dev.yaml', ['--set', 'training.size=gpt-neo-1.3b-lora'])));
    const res = spec.containers[0].resources;
    expect(res?.requests?.memory).toBe(row.cpuMemory.request);
    expect(res?.limits?.memory).toBe(row.cpuMemory.limit);
    expect(res?.limits?.['nvidia.com/gpu']).toBeUndefined();
    expect(spec.affinity).toBeUndefined();
  });

  it('keeps a node affinity the values set, and the resources as written without a size', () => {
    const own = { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['a100'] }] }] } };
    const spec = podSpec(trainJob(render('values-gpu.yaml', ['--set', 'training.size=gpt-neo-2.7b-full', '--set-json', `training.affinity={"nodeAffinity":${JSON.stringify(own)}}`])));
    expect(spec.affinity?.nodeAffinity).toEqual(own);
    const plain = podSpec(trainJob(render('values-gpu.yaml'))).containers[0].resources;
    expect(plain?.requests?.memory).toBe('16Gi');
    expect(plain?.limits?.memory).toBe('32Gi');
  });

  it('refuses an unknown size and a malformed row, naming the field', () => {
    expect(() => render(undefined, ['--set', 'training.size=gpt-neo-20b-full'])).toThrow(/training\/size/);
    expect(() => render(undefined, ['--set', 'training.sizes.gpt-neo-125m-lora.memory.request=lots'])).toThrow(/training\/sizes\/gpt-neo-125m-lora\/memory\/request/);
  });
});

describe('values schema', () => {
  it('rejects a wrong value type with the field named', () => {
    expect(() => render(undefined, ['--set', 'keda.lagThreshold=zero'])).toThrow(/keda\/lagThreshold/);
    expect(() => render(undefined, ['--set', 'services.train.port=80'])).toThrow(/services\/train\/port/);
  });
});

describe('offline schema validation', () => {
  it('catches an invalid object (the check can fail)', async () => {
    const bad = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'x' },
      spec: { backoffLimit: 'zero', template: { spec: { containers: [] } } },
    };
    expect(await validateObject(bad as unknown as K8sObject)).toMatch(/backoffLimit must be integer/);
    const badScaled = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'x' },
      spec: { triggers: [] },
    };
    expect(await validateObject(badScaled as unknown as K8sObject)).toMatch(/scaleTargetRef/);
  });
});

describe('observability wiring', () => {
  it('dashboards query only metrics and labels the code emits', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { METRIC_NAMES, METRIC_ATTRIBUTES, prometheusName } = await import('@ftune/telemetry');
    const known = new Set(Object.values(METRIC_NAMES).map(prometheusName));
    const labels = new Set([...Object.values(METRIC_ATTRIBUTES).map(prometheusName), 'le', 'service_name']);
    const dir = `${CHART}/files/dashboards`;
    const files = readdirSync(dir);
    expect(files.sort()).toEqual(['pipeline-health.json', 'run-overview.json', 'training.json']);
    for (const f of files) {
      const d = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as {
        uid: string;
        panels: Array<{ targets: Array<{ expr?: string; query?: string; datasource: { uid: string } }> }>;
      };
      expect(d.uid).toMatch(/^ftune-/);
      for (const t of d.panels.flatMap((p) => p.targets)) {
        expect(['ftune-prometheus', 'ftune-tempo']).toContain(t.datasource.uid);
        if (!t.expr) continue;
        for (const m of t.expr.match(/ftune_[a-z_]+/g) ?? []) {
          const base = m.replace(/_(bucket|count|sum)$/, '');
          if (labels.has(m)) continue;
          expect(known, `${f}: ${m}`).toContain(base);
        }
        for (const l of t.expr.match(/\b[a-z_]+(?==~?")/g) ?? [])
          expect(labels, `${f}: label ${l}`).toContain(l);
      }
    }
  });

  it('the collector sends traces to Tempo and metrics to Prometheus, and Grafana gets both datasources', () => {
    const objs = render();
    const collector = parseYaml(
      named(objs, 'ConfigMap', '-otel-collector').data?.['collector.yaml'] ?? '',
    ) as {
      service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
      exporters: Record<string, { endpoint: string }>;
    };
    expect(collector.service.pipelines.traces).toMatchObject({
      receivers: ['otlp'],
      exporters: ['otlp/tempo'],
    });
    expect(collector.service.pipelines.metrics).toMatchObject({
      receivers: ['otlp'],
      exporters: ['prometheus'],
    });
    expect(collector.exporters['otlp/tempo'].endpoint).toBe('tempo.monitoring:4317');
    const ds = parseYaml(
      named(objs, 'ConfigMap', '-grafana-datasources').data?.['ftune-datasources.yaml'] ?? '',
    ) as { datasources: Array<{ uid: string; type: string }> };
    expect(ds.datasources.map((d) => [d.uid, d.type])).toEqual([
      ['ftune-tempo', 'tempo'],
      ['ftune-prometheus', 'prometheus'],
    ]);
    const deps = byKind(objs, 'Deployment').filter((d) => !d.metadata.name.endsWith('otel-collector'));
    for (const d of deps) {
      const env = (podSpec(d).containers[0] as unknown as { env: Array<{ name: string; value?: string }> })
        .env;
      expect(env.find((e) => e.name === 'OTEL_EXPORTER_OTLP_ENDPOINT')?.value).toBe(
        'http://ftune-otel-collector:4318',
      );
    }
  });
});
