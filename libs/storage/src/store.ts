// The artifact store: a folder (a ReadWriteMany volume in the cluster) holding each run's
// artifacts under runs/<run-id>/<stage>/. A stage is complete when its marker file exists;
// markers and JSON files are written atomically (temp file + rename), so a crash never leaves
// a half-written artifact that looks complete. Idempotent stages check `isComplete` first.
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { uniqueSuffix } from '@ftune/common';
import { checkSegment, confineReal, resolveInside } from './paths';

export interface StageMarker {
  stage: string;
  completedAt: string;
  /** Stage outputs worth re-emitting on redelivery (paths relative to the store root, summaries). */
  outputs: Record<string, unknown>;
}

export class ArtifactStore {
  private readonly realRoot: string;

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
    this.realRoot = realpathSync(root);
  }

  /**
   * Absolute path of a relative path inside the store: refuses escapes by text (`..`, absolute
   * paths) and on disk (a symbolic link inside the store that leads out of it).
   */
  path(relPath: string): string {
    return confineReal(this.realRoot, resolveInside(this.root, relPath), relPath);
  }

  /** Relative folder of a run's stage: runs/<runId>/<stage>. */
  stageDir(runId: string, stage: string): string {
    return `runs/${checkSegment(runId)}/${checkSegment(stage, 'stage name')}`;
  }

  /** Absolute folder of a run. */
  runDir(runId: string): string {
    return this.path(`runs/${checkSegment(runId)}`);
  }

  ensureDir(relPath: string): string {
    const p = this.path(relPath);
    mkdirSync(p, { recursive: true });
    return p;
  }

  exists(relPath: string): boolean {
    return existsSync(this.path(relPath));
  }

  writeJson(relPath: string, value: unknown): void {
    writeAtomic(this.path(relPath), JSON.stringify(value, null, 2) + '\n');
  }

  readJson<T>(relPath: string): T {
    return JSON.parse(readFileSync(this.path(relPath), 'utf8')) as T;
  }

  /** Reads JSON or returns undefined when the file is absent. */
  tryReadJson<T>(relPath: string): T | undefined {
    const p = this.path(relPath);
    if (!existsSync(p)) return undefined;
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  }

  markComplete(runId: string, stage: string, outputs: Record<string, unknown>): StageMarker {
    const marker: StageMarker = { stage, completedAt: new Date().toISOString(), outputs };
    this.writeJson(`${this.stageDir(runId, stage)}/_complete.json`, marker);
    return marker;
  }

  completion(runId: string, stage: string): StageMarker | undefined {
    return this.tryReadJson<StageMarker>(`${this.stageDir(runId, stage)}/_complete.json`);
  }

  /** Removes a stage's folder (used before redoing an incomplete stage). */
  resetStage(runId: string, stage: string): void {
    rmSync(this.path(this.stageDir(runId, stage)), { recursive: true, force: true });
  }

  listRuns(): string[] {
    const dir = join(this.root, 'runs');
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  }
}

/** Writes a file atomically: a temporary sibling, then rename over the target. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/**
 * Creates `path` with `data` unless it exists; true when this call created it. The content goes to a
 * uniquely named temporary sibling which is then hard-linked to the name — link(2) fails when the name
 * exists, so of two writers (two processes, two pods on one volume) exactly one wins, and a reader
 * never sees a half-written file.
 */
export function createExclusive(path: string, data: string): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${uniqueSuffix()}`;
  writeFileSync(tmp, data);
  try {
    linkSync(tmp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(tmp);
  }
}
