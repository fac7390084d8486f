// Process entry of the `ftune` command.
import { cliTelemetry } from './instrumentation';
import { run } from './program';

run(process.argv.slice(2))
  .then(async (code) => {
    // a command that ends the process exports its last spans and metrics first (`serve` keeps running)
    if (!cliTelemetry.longLived) await cliTelemetry.telemetry.shutdown();
    return code;
  })
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(
        `ftune: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      process.exitCode = 1;
    },
  );
