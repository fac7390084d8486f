// Work off the event loop: one call of an exported function of a module, in a worker thread of its
// own, with a deadline and an abort signal. A service keeps answering health checks and heartbeats
// while a CPU-heavy request runs; a request past its deadline or cancelled by its caller ends its
// worker (terminate) instead of running on unseen. Errors come back with their kind: a UserError in
// the worker is a UserError here.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UserError } from './errors';

/** The work was stopped because its deadline passed. */
export class DeadlineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineError';
  }
}

/** The work was stopped because its caller went away or asked to stop. */
export class CancelledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CancelledError';
  }
}

export interface OffloadOptions {
  /** Absolute time (ms since the epoch) after which the work is stopped. */
  deadline?: number;
  signal?: AbortSignal;
  /** What the work is, for error messages. */
  what?: string;
}

/** The message a worker sends back: a value, or an error with its kind. */
export type OffloadReply = { ok: true; value: unknown } | { ok: false; name: string; message: string };

/** Runs `module`'s export `fn` with `args` (structured-cloneable) in a new worker thread. */
export function runInWorker<T>(
  module: string,
  fn: string,
  args: unknown[],
  options: OffloadOptions = {},
): Promise<T> {
  const what = options.what ?? fn;
  if (options.signal?.aborted) return Promise.reject(new CancelledError(`${what} cancelled`));
  if (options.deadline !== undefined && options.deadline <= Date.now())
    return Promise.reject(new DeadlineError(`${what}: deadline already passed`));
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(join(__dirname, 'offload-worker.js'), { workerData: { module, fn, args } });
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const stop = (error: Error): void =>
      settle(() => {
        void worker.terminate();
        reject(error);
      });
    const onAbort = (): void => stop(new CancelledError(`${what} cancelled`));
    const timer =
      options.deadline !== undefined
        ? setTimeout(
            () => stop(new DeadlineError(`${what} ran past its deadline`)),
            options.deadline - Date.now(),
          )
        : undefined;
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (reply: OffloadReply) =>
      settle(() => {
        void worker.terminate();
        if (reply.ok) resolve(reply.value as T);
        else reject(reply.name === 'UserError' ? new UserError(reply.message) : new Error(reply.message));
      }),
    );
    worker.once('error', (e) => settle(() => reject(e)));
    worker.once('exit', (code) =>
      settle(() => reject(new Error(`${what}: worker exited with code ${code} before answering`))),
    );
  });
}

/** What runInWorker needs of an RPC call (a gRPC ServerUnaryCall has both). */
export interface CallLike {
  getDeadline(): Date | number;
  on(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The deadline and abort signal of an RPC call: the caller's deadline, capped at `defaultMs` from now
 * (also the deadline of a call that set none), and a signal that fires when the caller cancels.
 */
export function limitsOf(call: CallLike | undefined, defaultMs: number, what?: string): OffloadOptions {
  const controller = new AbortController();
  call?.on('cancelled', () => controller.abort());
  const given = call?.getDeadline();
  const ms = given instanceof Date ? given.getTime() : Number(given ?? Infinity);
  return {
    deadline: Math.min(Number.isFinite(ms) ? ms : Infinity, Date.now() + defaultMs),
    signal: controller.signal,
    what,
  };
}
