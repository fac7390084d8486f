// Reading a file the user named: a missing or unreadable file is their mistake, reported in one line.
import { readFileSync } from 'node:fs';
import { UserError } from './errors';

/** The UTF-8 text of `file`; if it cannot be read, a UserError "cannot read <what> <file>: <code>". */
export function readUserFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}
