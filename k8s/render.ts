// Renders the Helm chart with a real helm binary (tools/helm/ensure-helm.js) and validates every
// rendered object offline against the Kubernetes and KEDA schemas (kubernetes-models). Used by the
// chart tests; Strimzi resources have no published models and are checked by shape in the tests.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '..');
export const CHART = join(ROOT, 'k8s', 'chart', 'ftune');
export const KUBE_VERSION = '1.30.0';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

let helmPath: string | undefined;
export function helm(args: string[]): string {
  helmPath ??= execFileSync('node', [join(ROOT, 'tools', 'helm', 'ensure-helm.js')], {
    encoding: 'utf8',
  }).trim();
  return execFileSync(helmPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export function render(profile?: string, extra: string[] = []): K8sObject[] {
  const args = ['template', 'ftune', CHART, '--namespace', 'ml', '--kube-version', KUBE_VERSION];
  if (profile) args.push('-f', join(CHART, profile));
  const out = helm([...args, ...extra]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

/** Module of kubernetes-models (or its KEDA package) that models apiVersion/kind, if any. */
function modelModule(apiVersion: string, kind: string): string | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group.endsWith('strimzi.io')) return undefined;
  return `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
}

/** Validates `obj` against its schema; resolves to null when valid, else the error message. */
export async function validateObject(obj: K8sObject): Promise<string | null> {
  const mod = modelModule(obj.apiVersion, obj.kind);
  if (!mod) return null;
  const m = (await import(mod)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = m[obj.kind];
  if (!Model) return `no model for ${obj.apiVersion} ${obj.kind}`;
  try {
    new Model(obj).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Every schema error among `objs`, as `Kind/name: message`. */
export async function schemaErrors(objs: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const o of objs) {
    const err = await validateObject(o);
    if (err) errors.push(`${o.kind}/${o.metadata.name}: ${err}`);
  }
  return errors;
}

export const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
export const named = (objs: K8sObject[], kind: string, suffix: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name.endsWith(suffix));
  if (!o) throw new Error(`no ${kind} named *${suffix}`);
  return o;
};
