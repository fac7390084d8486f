// Leases per (run, stage): before a stage does its work its host creates runs/<id>/_lease-<stage>.json
// exclusively (`createExclusive` of @ftune/storage) and renews it while the work runs, so two replicas, two
// `ftune run --run-id X` or a redelivered message never run one stage at once. A second host waits
// until the lease is released (then finds the stage complete and re-emits its output) or has expired
// (its holder died without releasing it: the lease is taken over).
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { sleep, uniqueSuffix } from '@ftune/common';
import { checkSegment, createExclusive, type ArtifactStore } from '@ftune/storage';

export interface LeaseOptions {
  /** How long a lease holds without renewal (default 30 s). */
  ttlMs?: number;
  /** How often a waiting host looks again (default 500 ms). */
  pollMs?: number;
  signal?: AbortSignal;
  /** Told once when the lease is held by another host and this one waits. */
  onWait?(holder: string): void;
}

interface LeaseFile {
  holder: string;
  expiresAt: number;
}

export interface Lease {
  holder: string;
  release(): void;
}

export const leasePath = (runId: string, stage: string) =>
  `runs/${checkSegment(runId)}/_lease-${checkSegment(stage, 'stage name')}.json`;

function read(file: string): LeaseFile | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LeaseFile;
  } catch {
    return undefined; // gone, or caught between a writer's rename: look again
  }
}

/** Takes the lease of (run, stage), waiting while another host holds it. */
export async function acquireLease(
  store: ArtifactStore,
  runId: string,
  stage: string,
  options: LeaseOptions = {},
): Promise<Lease> {
  const ttl = options.ttlMs ?? 30_000;
  const file = store.path(leasePath(runId, stage));
  const holder = uniqueSuffix();
  const content = () => JSON.stringify({ holder, expiresAt: Date.now() + ttl } satisfies LeaseFile);
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw new Error(`${stage}: stopped while waiting for its lease`);
    if (createExclusive(file, content())) break;
    const current = read(file);
    if (current && current.expiresAt < Date.now()) {
      // the holder stopped renewing: move its lease aside (one taker wins the rename) and try again
      const aside = `${file}.expired-${uniqueSuffix()}`;
      try {
        renameSync(file, aside);
        rmSync(aside, { force: true });
      } catch {
        // another host took it first
      }
      continue;
    }
    if (current && !told) {
      told = true;
      options.onWait?.(current.holder);
    }
    await sleep(options.pollMs ?? 500, options.signal);
  }
  const renew = setInterval(() => {
    if (read(file)?.holder !== holder) return;
    const tmp = `${file}.tmp-${uniqueSuffix()}`;
    writeFileSync(tmp, content());
    renameSync(tmp, file);
  }, ttl / 3);
  renew.unref();
  return {
    holder,
    release() {
      clearInterval(renew);
      if (read(file)?.holder === holder) rmSync(file, { force: true });
    },
  };
}
