// The chart's cluster boundaries, read from `helm template` output: every pod (the training Job's
// template included) meets the `restricted` Pod Security profile, the train service's account may
// create only Jobs from ftune's template (a ValidatingAdmissionPolicy), NetworkPolicies select every
// pod (training Jobs reach Kafka only), Kafka TLS and SCRAM are wired through values (into the
// bundled Strimzi too), the bearer token reaches only the services, MLflow's variables and egress
// reach only the components that log to it, and kube-score (pinned,
// tools/helm/ensure-kube-score.js) reports no critical finding.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  byKind,
  CHART,
  helm,
  KUBE_VERSION,
  named,
  render,
  ROOT,
  schemaErrors,
  type K8sObject,
} from './render';

const PROFILES = [undefined, 'values-dev.yaml', 'values-gpu.yaml'];

type SecurityContext = {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  privileged?: boolean;
  allowPrivilegeEscalation?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
};
type EnvVar = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string } } };
type Container = {
  name: string;
  securityContext?: SecurityContext;
  env?: EnvVar[];
  ports?: Array<{ hostPort?: number }>;
  args?: string[];
};
type PodSpec = {
  securityContext?: SecurityContext;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<Record<string, unknown>>;
  automountServiceAccountToken?: boolean;
};
type PodOwner = K8sObject & {
  spec: { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
};

const trainJob = (objs: K8sObject[]) =>
  parseYaml(named(objs, 'ConfigMap', '-train-job').data?.['train-job.yaml'] ?? '') as PodOwner;
const podOwners = (objs: K8sObject[]): PodOwner[] => [
  ...(byKind(objs, 'Deployment') as PodOwner[]),
  trainJob(objs),
];

const RESTRICTED_VOLUMES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Violations of the Pod Security Standards' restricted profile (v1.30) in one pod spec. */
function restrictedViolations(spec: PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  if (spec.hostNetwork || spec.hostPID || spec.hostIPC) out.push('host namespaces');
  for (const v of spec.volumes ?? [])
    for (const k of Object.keys(v))
      if (k !== 'name' && !RESTRICTED_VOLUMES.has(k)) out.push(`volume type ${k}`);
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) out.push(`${c.name}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (!sc.capabilities?.drop?.includes('ALL')) out.push(`${c.name}: capabilities not dropped`);
    for (const cap of sc.capabilities?.add ?? [])
      if (cap !== 'NET_BIND_SERVICE') out.push(`${c.name}: adds ${cap}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${c.name}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${c.name}: runs as root`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: no seccomp profile`);
    if (c.ports?.some((p) => p.hostPort)) out.push(`${c.name}: host port`);
  }
  return out;
}

type Selector = {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values: string[] }>;
};
function selects(selector: Selector, labels: Record<string, string>): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    if (e.operator === 'In' && !e.values.includes(labels[e.key])) return false;
    if (e.operator !== 'In') throw new Error(`operator ${e.operator} not handled by this test`);
  }
  return true;
}
type Policy = K8sObject & {
  spec: {
    podSelector: Selector;
    policyTypes: string[];
    ingress?: unknown[];
    egress?: Array<{ to?: Array<Record<string, unknown>>; ports?: Array<{ port: number }> }>;
  };
};

describe.each(PROFILES)('restricted Pod Security with profile %s', (profile) => {
  const objs = render(profile);

  it('every pod spec, the training Job template included, meets the restricted profile', () => {
    const owners = podOwners(objs);
    expect(owners.length).toBeGreaterThanOrEqual(7);
    for (const o of owners) expect(restrictedViolations(o.spec.template.spec), o.metadata.name).toEqual([]);
  });

  it('the check can fail: a privileged root container with a hostPath volume is caught', () => {
    const bad: PodSpec = {
      containers: [{ name: 'x', securityContext: { privileged: true, runAsUser: 0 } }],
      volumes: [{ name: 'h', hostPath: { path: '/' } }],
    };
    expect(restrictedViolations(bad)).toEqual(
      expect.arrayContaining([
        'volume type hostPath',
        'x: privileged',
        'x: runs as root',
        'x: no seccomp profile',
      ]),
    );
  });

  it('NetworkPolicies select every pod for ingress and egress', () => {
    const policies = byKind(objs, 'NetworkPolicy') as Policy[];
    for (const o of podOwners(objs)) {
      const labels = o.spec.template.metadata.labels;
      const types = policies
        .filter((p) => selects(p.spec.podSelector, labels))
        .flatMap((p) => p.spec.policyTypes);
      expect(types, o.metadata.name).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    }
  });
});

describe('training Jobs', () => {
  const objs = render();
  const jobPolicy = named(objs, 'NetworkPolicy', '-train-jobs') as Policy;

  it('take no connection and reach only Kafka (with DNS to find it and the collector for metrics)', () => {
    expect(jobPolicy.spec.ingress).toEqual([]);
    const ports = jobPolicy.spec.egress?.map((e) => e.ports?.map((p) => p.port).sort((a, b) => a - b));
    expect(ports).toEqual([
      [53, 53],
      [9092, 9093],
      [4317, 4318],
    ]);
    expect(jobPolicy.spec.egress?.[1].to).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kafka' } } },
    ]);
  });

  it('carry no bearer token, while every service reads it from its Secret', () => {
    const env = trainJob(objs).spec.template.spec.containers[0].env ?? [];
    expect(env.map((e) => e.name)).not.toContain('FTUNE_AUTH_TOKEN');
    for (const d of byKind(objs, 'Deployment').filter((x) => !x.metadata.name.endsWith('otel-collector'))) {
      const token = (d as PodOwner).spec.template.spec.containers[0].env?.find(
        (e) => e.name === 'FTUNE_AUTH_TOKEN',
      );
      expect(token?.valueFrom?.secretKeyRef?.name, d.metadata.name).toBe('ftune-auth');
      expect(token?.value).toBeUndefined();
    }
  });

  it('admission: the policy admits the template the train service fills in and refuses every other shape', async () => {
    const { evaluate } = await import('@marcbachmann/cel-js');
    const policy = named(objs, 'ValidatingAdmissionPolicy', '-train-jobs') as K8sObject & {
      spec: { matchConditions: Array<{ expression: string }>; validations: Array<{ expression: string }> };
    };
    const sa = (name: string) => ({
      request: { userInfo: { username: `system:serviceaccount:ml:${name}` } },
    });
    const matches = (ctx: unknown) =>
      policy.spec.matchConditions.every((m) => evaluate(m.expression, ctx as never) === true);
    expect(matches(sa('ftune-train'))).toBe(true);
    expect(matches(sa('default'))).toBe(false);
    const admits = (job: PodOwner) =>
      policy.spec.validations.every(
        (v) =>
          evaluate(v.expression, { object: job, variables: { pod: job.spec.template.spec } } as never) ===
          true,
      );
    const template = () => {
      const job = trainJob(objs);
      job.metadata.name = 'ftune-train-run-1';
      job.spec.template.spec.containers[0].args = ['train-job', '--run-id', 'run-1', '--resume'];
      job.spec.template.spec.containers[0].env?.push({ name: 'FTUNE_EXTRA', value: 'x' });
      return job;
    };
    expect(admits(template())).toBe(true);
    const hostile: Array<[string, (spec: PodSpec & Record<string, unknown>) => void]> = [
      ['another image', (p) => Object.assign(p.containers[0], { image: 'evil:latest' })],
      ['a shell', (p) => Object.assign(p.containers[0], { command: ['sh', '-c', 'cat /secrets/*'] })],
      ['another account', (p) => Object.assign(p, { serviceAccountName: 'ftune-train' })],
      ['a token', (p) => Object.assign(p, { automountServiceAccountToken: true })],
      ['a second container', (p) => p.containers.push({ ...p.containers[0], name: 'side' })],
      ['an init container', (p) => Object.assign(p, { initContainers: [p.containers[0]] })],
      ['a Secret volume', (p) => p.volumes?.push({ name: 'tmp', secret: { secretName: 'ftune-auth' } })],
      ['a host path', (p) => p.volumes?.push({ name: 'artifacts', hostPath: { path: '/' } })],
      [
        'the auth Secret in the env',
        (p) => p.containers[0].env?.push({ name: 'T', valueFrom: { secretKeyRef: { name: 'ftune-auth' } } }),
      ],
      [
        'envFrom',
        (p) => Object.assign(p.containers[0], { envFrom: [{ secretRef: { name: 'ftune-auth' } }] }),
      ],
      ['the host network', (p) => Object.assign(p, { hostNetwork: true })],
      ['privileged', (p) => Object.assign(p.containers[0].securityContext ?? {}, { privileged: true })],
      ['root', (p) => Object.assign(p.securityContext ?? {}, { runAsNonRoot: false })],
      [
        'added capabilities',
        (p) => Object.assign(p.containers[0].securityContext?.capabilities ?? {}, { add: ['SYS_ADMIN'] }),
      ],
    ];
    for (const [what, change] of hostile) {
      const job = template();
      change(job.spec.template.spec as PodSpec & Record<string, unknown>);
      expect(admits(job), what).toBe(false);
    }
  });

  it('can be created by the train service only from the template: an admission policy bound to the namespace', () => {
    const policy = named(objs, 'ValidatingAdmissionPolicy', '-train-jobs') as K8sObject & {
      spec: {
        failurePolicy: string;
        matchConditions: Array<{ expression: string }>;
        validations: Array<{ expression: string }>;
      };
    };
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConditions[0].expression).toContain("'system:serviceaccount:ml:ftune-train'");
    const rules = policy.spec.validations.map((v) => v.expression).join('\n');
    expect(rules).toContain("variables.pod.serviceAccountName == 'ftune-train-job'");
    expect(rules).toContain("c.image == 'ghcr.io/ftune/ftune-train-gpu:0.1.0'");
    expect(rules).toContain("claimName == 'ftune-artifacts'");
    const binding = named(objs, 'ValidatingAdmissionPolicyBinding', '-train-jobs') as K8sObject & {
      spec: { policyName: string; validationActions: string[] };
    };
    expect(binding.spec).toMatchObject({ policyName: policy.metadata.name, validationActions: ['Deny'] });
    // the template the train service fills in passes the policy's checks that this test can read
    const job = trainJob(objs).spec.template.spec;
    expect(job.containers).toHaveLength(1);
    expect(job.containers[0].args?.[0]).toBe('train-job');
    expect(job.automountServiceAccountToken).toBe(false);
    const role = named(objs, 'Role', '-train-jobs') as unknown as { rules: Array<{ resources: string[] }> };
    expect(role.rules.flatMap((r) => r.resources)).not.toContain('pods/log');
  });
});

describe('MLflow tracking', () => {
  const MLFLOW = [
    ...['--set', 'tracking.mlflow.uri=http://mlflow.mlflow:5000'],
    ...['--set', 'tracking.mlflow.experimentName=sentiment'],
    ...['--set', 'tracking.mlflow.existingSecret=mlflow-login'],
  ];
  const objs = render(undefined, MLFLOW);
  const envOf = (o: PodOwner) => o.spec.template.spec.containers[0].env ?? [];
  const component = (o: PodOwner) => o.spec.template.metadata.labels['app.kubernetes.io/component'];
  const mlflowPorts = (extra: string[]) =>
    (named(render(undefined, extra), 'NetworkPolicy', '-mlflow') as Policy).spec.egress?.map((e) =>
      e.ports?.map((p) => p.port),
    );

  it('gives the pipeline, train, evaluate and audit services and the training Job MLflow’s own variables', () => {
    const owners = podOwners(objs).filter((o) => !o.metadata.name.endsWith('otel-collector'));
    expect(owners.map(component).sort()).toEqual(
      ['audit', 'evaluate', 'ingest', 'pipeline', 'tokenize', 'train', 'train-job'].sort(),
    );
    for (const o of owners) {
      const env = envOf(o).filter((e) => e.name.startsWith('MLFLOW_'));
      if (['ingest', 'tokenize'].includes(component(o))) {
        expect(env, component(o)).toEqual([]);
        continue;
      }
      const byName = Object.fromEntries(env.map((e) => [e.name, e]));
      expect(byName.MLFLOW_TRACKING_URI?.value, component(o)).toBe('http://mlflow.mlflow:5000');
      expect(byName.MLFLOW_EXPERIMENT_NAME?.value, component(o)).toBe('sentiment');
      for (const [name, key] of [
        ['MLFLOW_TRACKING_TOKEN', 'token'],
        ['MLFLOW_TRACKING_USERNAME', 'username'],
        ['MLFLOW_TRACKING_PASSWORD', 'password'],
      ])
        expect(byName[name]?.valueFrom?.secretKeyRef, `${component(o)} ${name}`).toEqual({
          name: 'mlflow-login',
          key,
          optional: true,
        });
    }
  });

  it('renders objects that all validate against their schemas', async () => {
    expect(await schemaErrors([...objs, trainJob(objs)])).toEqual([]);
  });

  it('sets nothing of MLflow, and opens no egress for it, when no tracking server is named', () => {
    const plain = render();
    for (const o of podOwners(plain))
      expect(
        envOf(o).filter((e) => e.name.startsWith('MLFLOW_')),
        o.metadata.name,
      ).toEqual([]);
    expect(byKind(plain, 'NetworkPolicy').map((p) => p.metadata.name)).not.toContain('ftune-mlflow');
  });

  it('lets exactly those pods reach the tracking server, on its port only', () => {
    const policy = named(objs, 'NetworkPolicy', '-mlflow') as Policy;
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    for (const o of podOwners(objs).filter((x) => !x.metadata.name.endsWith('otel-collector')))
      expect(selects(policy.spec.podSelector, o.spec.template.metadata.labels), component(o)).toBe(
        !['ingest', 'tokenize'].includes(component(o)),
      );
    expect(mlflowPorts(MLFLOW)).toEqual([[5000]]);
    expect(mlflowPorts(['--set', 'tracking.mlflow.uri=https://mlflow.example.com/tracking'])).toEqual([
      [443],
    ]);
    expect(mlflowPorts(['--set', 'tracking.mlflow.uri=http://mlflow.example.com'])).toEqual([[80]]);
    expect(mlflowPorts([...MLFLOW, '--set', 'networkPolicy.mlflow.ports={8080,8443}'])).toEqual([
      [8080, 8443],
    ]);
  });

  it('admission: a training Job may read the MLflow credentials, still no other Secret', async () => {
    const { evaluate } = await import('@marcbachmann/cel-js');
    const policy = named(objs, 'ValidatingAdmissionPolicy', '-train-jobs') as K8sObject & {
      spec: { validations: Array<{ expression: string }> };
    };
    const admits = (job: PodOwner) =>
      policy.spec.validations.every(
        (v) =>
          evaluate(v.expression, { object: job, variables: { pod: job.spec.template.spec } } as never) ===
          true,
      );
    expect(admits(trainJob(objs))).toBe(true);
    const stolen = trainJob(objs);
    stolen.spec.template.spec.containers[0].env?.push({
      name: 'T',
      valueFrom: { secretKeyRef: { name: 'ftune-auth' } },
    });
    expect(admits(stolen)).toBe(false);
    // without MLflow configured, the same Secret is refused
    const plain = named(render(), 'ValidatingAdmissionPolicy', '-train-jobs') as typeof policy;
    expect(plain.spec.validations.map((v) => v.expression).join('\n')).not.toContain('mlflow-login');
  });

  it('refuses a tracking URI that is not an http(s) server, naming the field', () => {
    for (const uri of ['file:///tmp/mlruns', 'sqlite:///mlflow.db', 'databricks'])
      expect(() => render(undefined, ['--set', `tracking.mlflow.uri=${uri}`]), uri).toThrow(
        /tracking\/mlflow\/uri/,
      );
  });
});

describe('namespace and Kafka security settings', () => {
  it('labels the namespace it creates with the restricted Pod Security profile', () => {
    const ns = named(render(undefined, ['--set', 'namespace.create=true']), 'Namespace', 'ml');
    expect(ns.metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
    });
  });

  it('wires TLS and SCRAM into the bundled Strimzi, the services, the Jobs and KEDA', () => {
    const objs = render('values-dev.yaml', [
      '--set',
      'kafka.tls.enabled=true,kafka.sasl.enabled=true,keda.enabled=true',
    ]);
    const kafka = named(objs, 'Kafka', 'ftune-kafka') as K8sObject & {
      spec: {
        kafka: { listeners: Array<{ tls: boolean; port: number; authentication?: { type: string } }> };
      };
    };
    expect(kafka.spec.kafka.listeners).toEqual([
      { name: 'tls', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } },
    ]);
    expect(named(objs, 'KafkaUser', 'ftune').spec).toEqual({ authentication: { type: 'scram-sha-512' } });
    for (const o of podOwners(objs).filter((x) => !x.metadata.name.endsWith('otel-collector'))) {
      const spec = o.spec.template.spec;
      const env = Object.fromEntries((spec.containers[0].env ?? []).map((e) => [e.name, e]));
      expect(env.FTUNE_KAFKA_SSL.value, o.metadata.name).toBe('true');
      expect(env.FTUNE_KAFKA_SASL_PASSWORD.valueFrom?.secretKeyRef?.name).toBe('ftune');
      expect(env.NODE_EXTRA_CA_CERTS.value).toBe('/etc/ftune/kafka-ca/ca.crt');
      expect(spec.volumes).toContainEqual({
        name: 'kafka-ca',
        secret: { secretName: 'ftune-kafka-cluster-ca-cert', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
      });
    }
    const auth = named(objs, 'TriggerAuthentication', '-kafka') as K8sObject & {
      spec: { secretTargetRef: Array<{ parameter: string }> };
    };
    expect(auth.spec.secretTargetRef.map((r) => r.parameter)).toEqual(['sasl', 'username', 'password', 'ca']);
    expect(named(objs, 'Secret', '-kafka-login')).toMatchObject({
      stringData: { username: 'ftune', sasl: 'scram_sha512' },
    });
  });
});

describe('gRPC TLS', () => {
  it('serves every service over mutual TLS from the named Secret, with probes on the plaintext health port', () => {
    const objs = render(undefined, [
      '--set',
      'grpc.tls.enabled=true,grpc.tls.secretName=ftune-grpc-tls,grpc.tls.requireClientCert=true',
    ]);
    const services = podOwners(objs).filter(
      (o) => o.kind === 'Deployment' && !o.metadata.name.endsWith('otel-collector'),
    );
    expect(services).toHaveLength(6);
    for (const o of services) {
      const spec = o.spec.template.spec;
      const [c] = spec.containers as unknown as Array<{
        env: Array<{ name: string; value?: string }>;
        volumeMounts: Array<{ name: string; mountPath: string }>;
        ports: Array<{ name: string; containerPort: number }>;
        readinessProbe: { grpc: { port: number } };
        livenessProbe: { grpc: { port: number } };
        startupProbe: { grpc: { port: number } };
      }>;
      const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
      expect(env, o.metadata.name).toMatchObject({
        FTUNE_GRPC_TLS_CERT: '/etc/ftune/grpc-tls/tls.crt',
        FTUNE_GRPC_TLS_KEY: '/etc/ftune/grpc-tls/tls.key',
        FTUNE_GRPC_TLS_CLIENT_CA: '/etc/ftune/grpc-tls/ca.crt',
        FTUNE_HEALTH_PORT: '8086',
      });
      expect(c.volumeMounts).toContainEqual({
        name: 'grpc-tls',
        mountPath: '/etc/ftune/grpc-tls',
        readOnly: true,
      });
      expect(spec.volumes).toContainEqual({ name: 'grpc-tls', secret: { secretName: 'ftune-grpc-tls' } });
      for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe])
        expect(probe.grpc.port).toBe(8086);
      expect(c.ports.map((p) => p.name)).toEqual(['grpc', 'health']);
    }
    // off by default: plaintext, probes on the service port
    const plain = podOwners(render()).find((o) => o.metadata.name.endsWith('-pipeline'));
    const [c] = plain?.spec.template.spec.containers as unknown as Array<{
      env: Array<{ name: string }>;
      readinessProbe: { grpc: { port: number } };
    }>;
    expect(c.env.map((e) => e.name)).not.toContain('FTUNE_GRPC_TLS_CERT');
    expect(c.readinessProbe.grpc.port).toBe(50051);
  });

  it('refuses TLS without a Secret', () => {
    expect(() => render(undefined, ['--set', 'grpc.tls.enabled=true'])).toThrow(/grpc\.tls\.secretName/);
  });
});

describe('kube-score', () => {
  it('reports no critical finding on any profile', () => {
    const bin = execFileSync('node', [join(ROOT, 'tools', 'helm', 'ensure-kube-score.js')], {
      encoding: 'utf8',
    }).trim();
    // every profile, and the default one with an MLflow tracking server and its credentials
    const variants: Array<[string | undefined, string[]]> = [
      ...PROFILES.map((p): [string | undefined, string[]] => [p, []]),
      [
        undefined,
        [
          '--set',
          'tracking.mlflow.uri=http://mlflow.mlflow:5000',
          '--set',
          'tracking.mlflow.existingSecret=m',
        ],
      ],
    ];
    for (const [profile, extra] of variants) {
      const args = [
        'template',
        'ftune',
        CHART,
        '--namespace',
        'ml',
        '--kube-version',
        KUBE_VERSION,
        ...extra,
      ];
      if (profile) args.push('-f', join(CHART, profile));
      const manifests = helm(args);
      const r = spawnSync(bin, ['score', '--output-format', 'ci', '-'], {
        input: manifests,
        encoding: 'utf8',
      });
      const critical = r.stdout.split('\n').filter((l) => l.startsWith('[CRITICAL]'));
      expect(
        critical,
        `${profile ?? 'default'}${extra.length ? ' with MLflow' : ''}:\n${critical.join('\n')}`,
      ).toEqual([]);
      expect(r.stdout).toMatch(/\[OK\]/);
    }
  });
});
