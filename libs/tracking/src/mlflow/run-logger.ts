// One MLflow run, logged from one process without ever failing it: params, tags, per-step metrics and
// artifact files are queued at once and delivered in the background (runs/log-batch within MLflow's
// batch limits, artifacts through the server's proxy). While the server is down, the queue is kept
// (up to `maxBufferedMetrics`, oldest dropped beyond) and delivery is retried with a doubling delay;
// close() retries until `closeTimeoutMs`, then names what was not delivered in one warning.
// The run is created on the first delivery (or attached to, when another process created it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import { sleep } from '@ftune/common';
import {
  LOG_BATCH_LIMITS,
  MlflowClient,
  MlflowError,
  type MlflowKeyValue,
  type MlflowMetric,
  type MlflowRunStatus,
} from './client';
import type { MlflowSettings } from './settings';

/** Where a run lives; written beside the ftune run so that other processes log into the same run. */
export interface MlflowRunRef {
  trackingUri: string;
  experimentId: string;
  runId: string;
  artifactUri: string;
}

/** The run's page in the MLflow UI. */
export function mlflowRunUrl(ref: MlflowRunRef): string {
  return `${ref.trackingUri}/#/experiments/${ref.experimentId}/runs/${ref.runId}`;
}

export interface MlflowRunLoggerOptions {
  settings: MlflowSettings;
  runName: string;
  /** Tags set when the run is created. */
  tags?: Record<string, string>;
  /**
   * Log into a run another process created instead of creating one: its ref, or a function that looks
   * it up (null while that process has not created it yet: delivery waits and retries).
   */
  attach?: MlflowRunRef | (() => MlflowRunRef | null);
  warn(message: string): void;
  /** Called once the run exists on the server (to record its ref). */
  onCreated?(ref: MlflowRunRef): void;
  flushIntervalMs?: number;
  maxBufferedMetrics?: number;
  /** How long close() keeps retrying a server that is down. */
  closeTimeoutMs?: number;
  /** Per request. */
  requestTimeoutMs?: number;
}

const MAX_PARAM_VALUE = 6000;
const MAX_TAG_VALUE = 8000;
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/** The run another process creates is not recorded yet: delivery waits (retryable, and no outage). */
class NotCreatedYet extends MlflowError {
  constructor() {
    super('the MLflow run of this ftune run is not created yet', true);
  }
}

export class MlflowRunLogger {
  private readonly client: MlflowClient;
  private ref: MlflowRunRef | null;
  private readonly params = new Map<string, string>();
  private readonly tagQueue = new Map<string, string>();
  private metricQueue: MlflowMetric[] = [];
  private readonly artifacts: Array<{ name: string; file: string }> = [];
  private dropped = 0;
  private chain: Promise<void> = Promise.resolve();
  private retryMs = FIRST_RETRY_MS;
  private nextAttemptAt = 0;
  private lastError: string | null = null;
  /** Whether the outage of lastError was announced (waiting for the owner to create the run is not an outage). */
  private warnedDown = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Set when the server refused the run itself (a bad experiment, a deleted run): nothing later can succeed. */
  private disabled = false;

  constructor(private readonly options: MlflowRunLoggerOptions) {
    this.client = new MlflowClient({
      trackingUri: options.settings.trackingUri,
      headers: options.settings.headers,
      timeoutMs: options.requestTimeoutMs,
    });
    this.ref = typeof options.attach === 'object' ? options.attach : null;
    this.timer = setInterval(() => {
      if (Date.now() >= this.nextAttemptAt && this.hasPending()) void this.flush();
    }, options.flushIntervalMs ?? 2000);
    this.timer.unref();
  }

  /** The run once it exists on the server. */
  get run(): MlflowRunRef | null {
    return this.ref;
  }

  logParams(values: Record<string, string | number | boolean>): void {
    for (const [k, v] of Object.entries(values)) this.params.set(k, String(v).slice(0, MAX_PARAM_VALUE));
  }

  setTags(values: Record<string, string>): void {
    for (const [k, v] of Object.entries(values)) this.tagQueue.set(k, v.slice(0, MAX_TAG_VALUE));
  }

  logMetrics(step: number, values: Record<string, number>, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(values)) this.metricQueue.push({ key, value, timestamp, step });
    const max = this.options.maxBufferedMetrics ?? 100_000;
    if (this.metricQueue.length > max) {
      this.dropped += this.metricQueue.length - max;
      this.metricQueue = this.metricQueue.slice(-max);
    }
  }

  /** Uploads `file` as artifact `name` (read when it is sent). */
  logArtifact(file: string, name: string): void {
    this.artifacts.push({ name, file });
  }

  /** Delivers what is queued now; resolves true when nothing is left. Never rejects. */
  flush(): Promise<boolean> {
    this.chain = this.chain.then(() => this.deliver());
    return this.chain.then(() => !this.hasPending());
  }

  /**
   * Delivers the rest, retrying until closeTimeoutMs, and with `status` marks the run finished, failed
   * or killed (a process that only logs into a run another one owns closes without a status). Never rejects.
   */
  async close(status?: MlflowRunStatus): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const deadline = Date.now() + (this.options.closeTimeoutMs ?? 15_000);
    let statusSent = status === undefined;
    for (;;) {
      if (await this.flush()) {
        if (!statusSent && this.ref) {
          try {
            await this.client.updateRun(this.ref.runId, status as MlflowRunStatus, Date.now());
            statusSent = true;
          } catch (e) {
            this.failed(e);
          }
        }
        if (statusSent || this.disabled) break;
      }
      const wait = Math.max(0, this.nextAttemptAt - Date.now());
      if (Date.now() + wait >= deadline) break;
      await sleep(wait);
    }
    if (this.disabled) return;
    const left = this.undelivered(statusSent ? undefined : status);
    if (left.length > 0 || this.dropped > 0) {
      const lost =
        this.dropped > 0 ? [...left, `${this.dropped} metric values dropped from a full buffer`] : left;
      this.options.warn(
        `MLflow: not delivered to ${this.options.settings.trackingUri}: ${lost.join(', ')}${this.lastError ? ` (${this.lastError})` : ''}; the run itself is unaffected`,
      );
    }
  }

  private hasPending(): boolean {
    if (this.disabled) return false;
    return (
      this.ref === null ||
      this.params.size > 0 ||
      this.tagQueue.size > 0 ||
      this.metricQueue.length > 0 ||
      this.artifacts.length > 0
    );
  }

  private undelivered(status?: MlflowRunStatus): string[] {
    const out: string[] = [];
    if (this.ref === null) out.push('the run itself');
    if (this.params.size) out.push(`${this.params.size} params`);
    if (this.tagQueue.size) out.push(`${this.tagQueue.size} tags`);
    if (this.metricQueue.length) out.push(`${this.metricQueue.length} metric values`);
    if (this.artifacts.length) out.push(`artifacts ${this.artifacts.map((a) => a.name).join(', ')}`);
    if (status) out.push(`status ${status}`);
    return out;
  }

  private async deliver(): Promise<void> {
    if (this.disabled) return;
    try {
      const ref = this.ref ?? this.attached() ?? (await this.createRun());
      await this.sendKeyValues(ref.runId);
      while (this.metricQueue.length > 0) {
        const batch = this.metricQueue.slice(0, LOG_BATCH_LIMITS.metrics);
        await this.sendOrDrop(
          () => this.client.logBatch(ref.runId, { metrics: batch }),
          `${batch.length} metric values`,
        );
        this.metricQueue.splice(0, batch.length);
      }
      while (this.artifacts.length > 0) {
        const { name, file } = this.artifacts[0];
        let content: Buffer | null = null;
        try {
          content = fs.readFileSync(file);
        } catch (e) {
          this.options.warn(
            `MLflow: artifact ${name} not uploaded: cannot read ${file} (${(e as Error).message})`,
          );
        }
        if (content)
          await this.sendOrDrop(() => this.client.uploadArtifact(ref.artifactUri, name, content), name);
        this.artifacts.shift();
      }
      if (this.warnedDown)
        this.options.warn(
          `MLflow: ${this.client.trackingUri} reachable again; delivered the buffered values`,
        );
      this.lastError = null;
      this.warnedDown = false;
      this.retryMs = FIRST_RETRY_MS;
    } catch (e) {
      this.failed(e);
    }
  }

  /** Params and tags go in batches of their own, so that a rejected param cannot take metrics with it. */
  private async sendKeyValues(runId: string): Promise<void> {
    const take = (m: Map<string, string>): MlflowKeyValue[] =>
      [...m].slice(0, LOG_BATCH_LIMITS.paramsAndTags).map(([key, value]) => ({ key, value }));
    for (const [queue, kind] of [
      [this.tagQueue, 'tags'],
      [this.params, 'params'],
    ] as const) {
      while (queue.size > 0) {
        const batch = take(queue);
        await this.sendOrDrop(
          () => this.client.logBatch(runId, kind === 'tags' ? { tags: batch } : { params: batch }),
          `${batch.length} ${kind}`,
        );
        for (const kv of batch) queue.delete(kv.key);
      }
    }
  }

  /** A retryable failure propagates (the batch stays queued); a rejected batch is dropped with a warning. */
  private async sendOrDrop(send: () => Promise<void>, what: string): Promise<void> {
    try {
      await send();
    } catch (e) {
      if (e instanceof MlflowError && !e.retryable) {
        this.options.warn(`MLflow rejected ${what}: ${e.message}`);
        return;
      }
      throw e;
    }
  }

  private attached(): MlflowRunRef | null {
    if (typeof this.options.attach !== 'function') return null;
    const ref = this.options.attach();
    if (!ref) throw new NotCreatedYet();
    this.ref = ref;
    return ref;
  }

  private async createRun(): Promise<MlflowRunRef> {
    const { settings } = this.options;
    const experimentId = settings.experimentName
      ? await this.client.ensureExperiment(settings.experimentName)
      : (settings.experimentId ?? '0');
    const tags = {
      'mlflow.user': safeUser(),
      'mlflow.source.name': 'ftune',
      'mlflow.source.type': 'LOCAL',
      ...this.options.tags,
    };
    const info = await this.client.createRun({
      experimentId,
      runName: this.options.runName,
      startTime: Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value: value.slice(0, MAX_TAG_VALUE) })),
    });
    const ref: MlflowRunRef = {
      trackingUri: settings.trackingUri,
      experimentId: info.experiment_id,
      runId: info.run_id,
      artifactUri: info.artifact_uri,
    };
    this.ref = ref;
    this.options.onCreated?.(ref);
    return ref;
  }

  private failed(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof MlflowError && !e.retryable) {
      this.options.warn(`MLflow: ${message}; not tracking this run in MLflow`);
      this.disabled = true;
      this.params.clear();
      this.tagQueue.clear();
      this.metricQueue = [];
      this.artifacts.length = 0;
      return;
    }
    if (!this.warnedDown && !(e instanceof NotCreatedYet)) {
      this.options.warn(`MLflow: ${message}; buffering and retrying (the run goes on without it)`);
      this.warnedDown = true;
    }
    this.lastError = message;
    this.nextAttemptAt = Date.now() + this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
  }
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
