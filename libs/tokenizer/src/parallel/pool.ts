// A pool of worker threads, each holding its own copy of a tokenizer, for whole-dataset tokenization.
// Tasks queue and go to the first idle worker; results come back per task, so callers keep their order.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { tokenizerFromConfig } from '../config';
import { loadTokenizer } from '../loader';
import type { DetokenizeLinesOptions, LinesResult, TokenizeLinesOptions } from '../jsonl';
import type { TokenizerConfig, TokenizerSettings } from '../types';
import type { WorkerInit, WorkerReply, WorkerTask } from './protocol';

type TaskBody = WorkerTask extends infer T ? (T extends WorkerTask ? Omit<T, 'id'> : never) : never;

interface Pending {
  task: WorkerTask;
  resolve: (reply: WorkerReply) => void;
  reject: (error: Error) => void;
}

export class TokenizerPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: Pending[] = [];
  private readonly running = new Map<Worker, Pending>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor(source: string | TokenizerConfig, size: number, settings?: Partial<TokenizerSettings>) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a pool needs at least one worker, got ${size}`);
    const init: WorkerInit = { source, settings };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(join(__dirname, 'worker-bootstrap.js'), { workerData: init });
      worker.on('message', (reply: WorkerReply) => this.finish(worker, reply));
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`tokenizer worker exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  tokenizeLines(chunk: string, firstLine: number, options: TokenizeLinesOptions = {}): Promise<LinesResult> {
    return this.lines({ kind: 'tokenizeLines', chunk, firstLine, options });
  }

  detokenizeLines(
    chunk: string,
    firstLine: number,
    options: DetokenizeLinesOptions = {},
  ): Promise<LinesResult> {
    return this.lines({ kind: 'detokenizeLines', chunk, firstLine, options });
  }

  /** Token ids of each text (encodeIds), in order, as views into one buffer per call. */
  async encodeIds(texts: string[]): Promise<Int32Array[]> {
    const lengths = Int32Array.from(texts, (t) => t.length);
    const reply = await this.submit({ kind: 'encodeIds', joined: texts.join(''), lengths });
    if (reply.kind !== 'ids') throw new Error('unexpected worker reply');
    const out: Int32Array[] = [];
    let at = 0;
    for (const n of reply.lengths) {
      out.push(reply.ids.subarray(at, at + n));
      at += n;
    }
    return out;
  }

  async close(): Promise<void> {
    this.failure ??= new Error('tokenizer pool closed');
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async lines(body: TaskBody): Promise<LinesResult> {
    const reply = await this.submit(body);
    if (reply.kind !== 'lines') throw new Error('unexpected worker reply');
    return reply.result;
  }

  private submit(body: TaskBody): Promise<WorkerReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const task = { ...body, id: this.nextId++ } as WorkerTask;
      this.queue.push({ task, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop() as Worker;
      const pending = this.queue.shift() as Pending;
      this.running.set(worker, pending);
      worker.ref();
      worker.postMessage(pending.task);
    }
  }

  private finish(worker: Worker, reply: WorkerReply): void {
    const pending = this.running.get(worker);
    this.running.delete(worker);
    worker.unref();
    this.idle.push(worker);
    if (pending) {
      if (reply.kind === 'error') pending.reject(new Error(reply.message));
      else pending.resolve(reply);
    }
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of [...this.running.values(), ...this.queue]) p.reject(error);
    this.running.clear();
    this.queue.length = 0;
  }
}

/**
 * Token ids of many texts using `workers` threads (1 or fewer: in this thread), in input order.
 * Texts go out in chunks (default: enough for four per worker, at most 4096 texts each); each text's
 * ids come back as an Int32Array view, so nothing is copied id by id.
 */
export async function tokenizeMany(
  texts: string[],
  options: {
    source: string | TokenizerConfig;
    workers: number;
    chunkSize?: number;
    settings?: Partial<TokenizerSettings>;
  },
): Promise<Int32Array[]> {
  if (options.workers <= 1) {
    const base =
      typeof options.source === 'string'
        ? loadTokenizer(options.source)
        : tokenizerFromConfig(options.source);
    const tokenizer = options.settings ? base.withSettings(options.settings) : base;
    return texts.map((t) => Int32Array.from(tokenizer.encodeIds(t)));
  }
  const chunkSize =
    options.chunkSize ?? Math.max(64, Math.min(4096, Math.ceil(texts.length / (options.workers * 4))));
  const pool = new TokenizerPool(options.source, Math.max(1, options.workers), options.settings);
  try {
    const parts: Array<Promise<Int32Array[]>> = [];
    for (let i = 0; i < texts.length; i += chunkSize)
      parts.push(pool.encodeIds(texts.slice(i, i + chunkSize)));
    return (await Promise.all(parts)).flat();
  } finally {
    await pool.close();
  }
}
