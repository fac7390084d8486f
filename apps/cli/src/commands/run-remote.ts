// `ftune run CONFIG --remote ADDR`: submits the run to the pipeline service over gRPC (StartRun) and
// follows it (WatchRun) with one line per stage change and a progress bar while training, then prints
// the result. Paths in CONFIG are read by the services, relative to their artifact store.
import type { ClientReadableStream } from '@grpc/grpc-js';
import { readUserFile, UserError } from '@ftune/common';
import type { pipeline } from '@ftune/proto';
import type { GrpcClient } from '@ftune/transport';
import { lib } from './libs';

export interface RemoteFlags {
  remote?: string;
  tokenFile?: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  runId?: string;
}

const STAGE_NAMES: Record<number, string> = {
  1: 'ingest',
  2: 'tokenize',
  3: 'train',
  4: 'evaluate',
  5: 'audit',
};
const STAGE_STATES: Record<number, string> = {
  1: 'pending',
  2: 'running',
  3: 'done',
  4: 'failed',
  5: 'skipped',
  6: 'cancelled',
};
const RUN_STATES: Record<number, string> = {
  1: 'pending',
  2: 'running',
  3: 'succeeded',
  4: 'failed',
  5: 'cancelled',
};

function bar(done: number, total: number, width = 30): string {
  const f = total > 0 ? Math.min(1, done / total) : 0;
  const n = Math.round(f * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}] ${(f * 100).toFixed(0).padStart(3)}%`;
}

/** How long the pipeline service may stay unavailable (a restart, a rolling update) while a run is followed. */
const UNAVAILABLE_FOR_MS = 300_000;

/**
 * Follows the run to its end. A stream the service ends with UNAVAILABLE (it is shutting down) or that
 * cannot reach it is opened again, each second, for up to UNAVAILABLE_FOR_MS after the last message.
 */
async function follow(client: GrpcClient, runId: string, out: NodeJS.WriteStream): Promise<pipeline.Run> {
  let lastHeard = Date.now();
  let told = false;
  for (;;) {
    try {
      return await watchOnce(client, runId, out, () => {
        lastHeard = Date.now();
        told = false;
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 14 || Date.now() - lastHeard > UNAVAILABLE_FOR_MS)
        throw error;
      if (!told) out.write(`the pipeline service is unavailable; following ${runId} again once it answers\n`);
      told = true;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

function watchOnce(
  client: GrpcClient,
  runId: string,
  out: NodeJS.WriteStream,
  heard: () => void,
): Promise<pipeline.Run> {
  return new Promise((resolve, reject) => {
    const stream = (
      client.watchRun as (r: pipeline.WatchRunRequest) => ClientReadableStream<pipeline.WatchRunResponse>
    ).call(client, { runId });
    let last: pipeline.Run | undefined;
    let barShown = false;
    const endBar = () => {
      if (barShown) out.write('\n');
      barShown = false;
    };
    stream.on('data', (m: pipeline.WatchRunResponse) => {
      heard();
      last = m.run;
      if (m.stage) {
        endBar();
        const s = m.stage;
        out.write(
          `${STAGE_NAMES[s.stage] ?? '?'}: ${STAGE_STATES[s.state] ?? '?'}${s.artifactPath ? `  ${s.artifactPath}` : ''}${s.error ? `  ${s.error}` : ''}\n`,
        );
      } else if (m.trainingProgress) {
        const p = m.trainingProgress;
        const line = `train ${bar(p.step, p.totalSteps)} step ${p.step}/${p.totalSteps} loss ${p.loss.toFixed(4)} ${Math.round(p.tokensPerSecond)} tok/s`;
        if (out.isTTY) {
          out.write(`\r${line}`);
          barShown = true;
        } else out.write(`${line}\n`);
      }
    });
    stream.on('error', reject);
    stream.on('end', () => {
      endBar();
      if (last) resolve(last);
      else reject(new Error('WatchRun ended without a message'));
    });
  });
}

/** Submits and follows a run; resolves with the exit code (0 when the run succeeded). */
export async function runRemote(
  configFile: string,
  flags: RemoteFlags,
  out = process.stdout,
): Promise<number> {
  const config = readUserFile(configFile, 'run config');
  // from a file or the environment, never a flag: `ps` shows a command line to every user
  const token = flags.tokenFile
    ? readUserFile(flags.tokenFile, 'token file').trim()
    : process.env.FTUNE_AUTH_TOKEN;
  if (!token) throw new UserError('--remote needs a bearer token: --token-file or FTUNE_AUTH_TOKEN');
  const { grpcClient, unary } = lib.transport();
  if (!flags.tlsCert !== !flags.tlsKey) throw new UserError('--tls-cert and --tls-key: give both or neither');
  const pem = (file: string | undefined, what: string) =>
    file ? Buffer.from(readUserFile(file, what)) : undefined;
  const client = grpcClient('pipeline', flags.remote as string, token, {
    tls: flags.tls,
    ca: pem(flags.tlsCa, 'TLS CA file'),
    cert: pem(flags.tlsCert, 'TLS client certificate'),
    key: pem(flags.tlsKey, 'TLS client key'),
  });
  try {
    const started = await unary<pipeline.StartRunResponse>(client, 'startRun', {
      config,
      runId: flags.runId ?? '',
      datasetId: '',
    }).catch((e: { code?: number; details?: string; message: string }) => {
      throw e.code === 3 || e.code === 16 ? new UserError(`${flags.remote}: ${e.details ?? e.message}`) : e;
    });
    const runId = started.run?.runId ?? '';
    out.write(`run ${runId} ${started.created ? 'submitted' : 'already exists'} to ${flags.remote}\n`);
    const run = await follow(client, runId, out);
    out.write(
      `run ${runId}: ${RUN_STATES[run.state] ?? 'unknown'}${run.failureReason ? ` (${run.failureReason})` : ''}\n`,
    );
    for (const [name, value] of Object.entries(run.result?.metrics ?? {}))
      out.write(`  ${name.padEnd(16)} ${value.toFixed(4)}\n`);
    if (run.result)
      out.write(
        `  model ${run.result.modelDir}\n  audit ${run.result.auditPassed ? 'passed' : 'not passed'}\n`,
      );
    out.write(`  folder ${run.runDir} (in the services' artifact store)\n`);
    return run.state === lib.proto().pipeline.RunState.RUN_STATE_SUCCEEDED ? 0 : 1;
  } finally {
    client.close();
  }
}

/** `ftune run CONFIG --remote ADDR`: exits non-zero unless the run succeeded. */
export async function runRemoteCommand(configFile: string, flags: RemoteFlags): Promise<void> {
  const code = await runRemote(configFile, flags);
  if (code !== 0) process.exit(code);
}
