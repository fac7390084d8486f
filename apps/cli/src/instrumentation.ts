// Loaded first by the `ftune` process (before any command module imports gRPC, Kafka or NestJS):
// starts OpenTelemetry for the commands that export when OTEL_EXPORTER_OTLP_ENDPOINT is set.
// `serve --service X` loads that app's instrumentation.ts (service ftune-X), `train-job` is
// ftune-train-job, and `run` (all five stages in this process) is ftune-local; stage spans carry
// ftune.stage. Other commands start nothing.
import { resolve } from 'node:path';
import { activeTelemetry, startTelemetry, type Telemetry } from '@ftune/telemetry';

const SERVICES = ['pipeline', 'ingest', 'tokenize', 'train', 'evaluate', 'audit'];

/** The service `ftune serve` runs in this process, from its arguments (undefined: not one service). */
export function servedService(argv: string[]): string | undefined {
  if (argv[0] !== 'serve') return undefined;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const name = a === '--service' ? argv[i + 1] : a.startsWith('--service=') ? a.slice(10) : undefined;
    if (name !== undefined) return SERVICES.includes(name) ? name : undefined;
  }
  return undefined;
}

/** Starts telemetry for the command in `argv`; whether the process ends when the command returns. */
export function startCliTelemetry(argv: string[]): { telemetry: Telemetry; longLived: boolean } {
  const service = servedService(argv);
  if (service) {
    // the app's own instrumentation.ts, loaded by path (apps are not libraries)
    require(resolve(__dirname, '../..', service, 'src/instrumentation.ts'));
    return { telemetry: activeTelemetry(), longLived: true };
  }
  const names: Record<string, string> = { 'train-job': 'ftune-train-job', run: 'ftune-local' };
  const serviceName = names[argv[0] ?? ''];
  if (!serviceName) return { telemetry: activeTelemetry(), longLived: argv[0] === 'serve' };
  return { telemetry: startTelemetry({ serviceName }), longLived: false };
}

export const cliTelemetry = startCliTelemetry(process.argv.slice(2));
