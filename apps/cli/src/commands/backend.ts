// `ftune backend`: chooses the compute backend as every computing process does and prints it as JSON;
// with --verbose, also why the other candidates were skipped (on stderr).
import type { Command } from 'commander';
import { lib } from './libs';

export function registerBackend(program: Command): void {
  program
    .command('backend')
    .description('print the TensorFlow.js backend this machine computes on (FTUNE_BACKEND forces one)')
    .option('-v, --verbose', 'also print why other backends were skipped (stderr)')
    .action(async (options: { verbose?: boolean }) => {
      const { describeChoice, initBackend } = lib.compute();
      const choice = await initBackend();
      if (options.verbose) for (const line of describeChoice(choice)) process.stderr.write(`${line}\n`);
      process.stdout.write(`${JSON.stringify(choice.info)}\n`);
    });
}
