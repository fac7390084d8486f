// User-facing errors: a mistake in what the user gave us (a flag, a file, a record).
// The CLI prints these as one line on stderr with the given exit code, never a stack trace.

/** An error caused by user input; `exitCode` 2 means bad usage or bad data. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof Error && e.name === 'UserError' && typeof (e as UserError).exitCode === 'number';
}
