// Builds the `ftune` command tree. Each command lives in its own file under commands/ and is
// registered here; `run()` turns user mistakes into one line on stderr and a non-zero exit code.
import { Command, CommanderError } from 'commander';
import { isUserError } from '@ftune/common';
import { commands } from './commands';

export function buildProgram(): Command {
  const program = new Command('ftune')
    .description('Fine-tune GPT-Neo language models end to end: ingest, tokenize, collate, train, evaluate, audit.')
    .version(require('../package.json').version as string)
    .showHelpAfterError('(run `ftune --help` for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; resolves with the process exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with code 0; usage mistakes were already printed by commander
      return e.exitCode === 0 ? 0 : 2;
    }
    if (isUserError(e)) {
      process.stderr.write(`ftune: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}
