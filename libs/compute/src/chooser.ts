// The backend chooser every computing process calls once at start: the first of tensorflow-gpu, tensorflow,
// wasm, cpu that loads becomes the TensorFlow.js backend. FTUNE_BACKEND forces one. Returns why the others
// were skipped; logging is the caller's.
import { UserError } from '@ftune/common';
import { type BackendInfo, BackendUnavailable, CANDIDATES, type Candidate, loadBackend } from './backends';

export interface SkippedBackend {
  candidate: Candidate;
  reason: string;
}

export interface BackendChoice {
  info: BackendInfo;
  /** The candidate that loaded. */
  candidate: Candidate;
  /** Candidates tried before it, with why each was skipped. */
  skipped: SkippedBackend[];
  /** Set when FTUNE_BACKEND (or the `backend` option) forced the choice. */
  forcedBy?: string;
}

export interface InitBackendOptions {
  /** Forces a backend, as FTUNE_BACKEND does; takes precedence over it. */
  backend?: string;
  env?: NodeJS.ProcessEnv;
}

const ALIASES: Record<string, Candidate> = {
  'tensorflow-gpu': 'tensorflow-gpu',
  gpu: 'tensorflow-gpu',
  tensorflow: 'tensorflow',
  native: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

/** Maps an FTUNE_BACKEND value to a candidate; UserError for unknown names. */
export function parseBackendName(value: string, source = 'FTUNE_BACKEND'): Candidate {
  const candidate = ALIASES[value.trim().toLowerCase()];
  if (!candidate) {
    throw new UserError(`${source}=${value}: unknown backend (use one of ${Object.keys(ALIASES).join(', ')})`);
  }
  return candidate;
}

type Loader = (candidate: Candidate) => Promise<BackendInfo>;

/** Tries candidates in order with `load`; the first that loads wins. Exported for tests. */
export async function chooseBackend(order: readonly Candidate[], load: Loader, forcedBy?: string): Promise<BackendChoice> {
  const skipped: SkippedBackend[] = [];
  for (const candidate of order) {
    try {
      return { info: await load(candidate), candidate, skipped, forcedBy };
    } catch (e) {
      if (!(e instanceof BackendUnavailable)) throw e;
      if (forcedBy) throw new UserError(`${forcedBy}: backend ${candidate} is unavailable: ${e.message}`);
      skipped.push({ candidate, reason: e.message });
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.candidate}: ${s.reason}`).join('; ')}`);
}

let chosen: { key: string; choice: Promise<BackendChoice> } | undefined;

/** Chooses and activates the backend once per process; later calls return the same choice. */
export function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const env = options.env ?? process.env;
  const forced = options.backend ?? env.FTUNE_BACKEND;
  const forcedBy = !forced ? undefined : options.backend ? `backend ${options.backend}` : `FTUNE_BACKEND=${forced}`;
  const key = forced ? parseBackendName(forced, options.backend ? 'backend' : 'FTUNE_BACKEND') : 'auto';
  if (chosen) {
    if (chosen.key !== key) {
      return Promise.reject(new Error(`the backend was already chosen (${chosen.key}); cannot switch to ${key}`));
    }
    return chosen.choice;
  }
  const order = key === 'auto' ? CANDIDATES : [key];
  chosen = { key, choice: chooseBackend(order, loadBackend, forcedBy) };
  return chosen.choice;
}

/** Log lines for a choice: the active backend, then each skipped candidate and why. */
export function describeChoice(choice: BackendChoice): string[] {
  const { info } = choice;
  const how = choice.forcedBy ? `forced by ${choice.forcedBy}` : 'chosen';
  return [
    `backend ${info.backend} on ${info.device} (${how}; version ${info.version}, ${info.threads} thread${info.threads === 1 ? '' : 's'})`,
    ...choice.skipped.map((s) => `skipped ${s.candidate}: ${s.reason}`),
  ];
}
