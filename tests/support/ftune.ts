// The `ftune` CLI as a real process from the repository root, its output collected: for the specs that
// run a whole command end to end (ftune run with a collector, with an MLflow server).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';

export const ROOT = resolve(__dirname, '../..');
export const CLI = resolve(ROOT, 'apps/cli/bin/ftune.js');

export function ftune(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });
}

/**
 * Writes `<dir>/<runId>.yaml`: a run of the tiny model on 120 records of the bundled sentiment example,
 * into `dir`, with the given training, evaluation and audit sections; answers its path.
 */
export function writeTinyRunConfig(
  dir: string,
  run: {
    name: string;
    runId: string;
    training: Record<string, unknown>;
    evaluation: Record<string, unknown>;
    audit?: Record<string, unknown>;
  },
): string {
  const file = join(dir, `${run.runId}.yaml`);
  const config = {
    name: run.name,
    runId: run.runId,
    runsDir: dir,
    dataset: { path: join(ROOT, 'examples', 'sentiment', 'reviews.jsonl'), maxRecords: 120 },
    model: { preset: 'tiny' },
    collator: { maxLength: 48 },
    training: { batchSize: 8, ...run.training },
    evaluation: run.evaluation,
    ...(run.audit ? { audit: run.audit } : {}),
  };
  writeFileSync(file, stringify(config));
  return file;
}
