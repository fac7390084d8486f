// A run configuration sent over gRPC (StartRun, StartTraining) → a validated run configuration whose
// every path lies inside the artifact store: relative paths only, no '..', resolved against the store's
// root; the runs folder is the store itself. Text size is bounded.
import { parse as parseYaml } from 'yaml';
import { UserError } from '@ftune/common';
import { normalizeRunConfig, type RunConfig } from './config';
import { newRunId } from './lifecycle/run-id';
import { checkSegment, type ArtifactStore } from '@ftune/storage';

export const MAX_CONFIG_BYTES = 256 * 1024;

type Raw = Record<string, unknown>;

function section(raw: Raw, key: string): Raw {
  const v = raw[key];
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Raw) : {};
}

/** Every path of a raw config that names a file or folder. */
function configPaths(raw: Raw): Array<[string, unknown]> {
  const paths: Array<[string, unknown]> = [
    ['dataset.path', section(raw, 'dataset').path],
    ['model.path', section(raw, 'model').path],
    ['audit.terms', section(raw, 'audit').terms],
    ['audit.pairs', section(raw, 'audit').pairs],
  ];
  if (raw.tokenizer !== undefined && raw.tokenizer !== 'gpt2') paths.push(['tokenizer', raw.tokenizer]);
  const baselines = section(raw, 'evaluation').baselines;
  if (Array.isArray(baselines)) baselines.forEach((b, i) => paths.push([`evaluation.baselines[${i}]`, b]));
  return paths.filter(([, v]) => v !== undefined);
}

export function parseRemoteConfig(
  text: string,
  store: ArtifactStore,
  overrides: { runId?: string; datasetPath?: string },
): { config: RunConfig; runId: string } {
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES)
    throw new UserError(`config: larger than ${MAX_CONFIG_BYTES} bytes`);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new UserError(`config: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserError('config: must be a mapping of sections');
  const cfg = raw as Raw;
  if (overrides.datasetPath) cfg.dataset = { ...section(cfg, 'dataset'), path: overrides.datasetPath };
  for (const [field, value] of configPaths(cfg)) {
    if (typeof value !== 'string') continue; // the schema names the type error
    try {
      store.path(value);
    } catch (e) {
      throw new UserError(`config: ${field}: ${(e as Error).message}`);
    }
  }
  delete cfg.runsDir;
  const config = normalizeRunConfig(cfg, store.root, 'config');
  config.runsDir = store.root;
  const runId = checkSegment(overrides.runId || config.runId || newRunId(config.name));
  config.runId = runId;
  return { config, runId };
}
