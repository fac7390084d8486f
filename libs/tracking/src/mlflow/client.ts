// A small client of MLflow's tracking REST API (the 2.0/mlflow endpoints of an `mlflow server`) and of
// its artifact proxy (2.0/mlflow-artifacts, the server's --serve-artifacts mode, its default): just the
// calls ftune makes to log a run, plus the reads its tests and tools make. Plain fetch, no SDK.
// Not here: the model registry, traces, datasets, Databricks or file-store tracking URIs.

/** One MLflow tracking server: its base URI and the headers every call carries (auth). */
export interface MlflowConnection {
  trackingUri: string;
  headers?: Record<string, string>;
  /** Per request, in event-loop seconds (see loopTimeout); a server that does not answer counts as down. Default 30 s. */
  timeoutMs?: number;
}

export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface MlflowKeyValue {
  key: string;
  value: string;
}

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  run_name?: string;
  status: string;
  artifact_uri: string;
  start_time?: number;
  end_time?: number;
}

export interface MlflowRunData {
  info: MlflowRunInfo;
  data: { params?: MlflowKeyValue[]; tags?: MlflowKeyValue[]; metrics?: MlflowMetric[] };
}

export type MlflowRunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** A failed call. `retryable`: the server was unreachable, timed out, or answered 429 / 5xx. */
export class MlflowError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly errorCode?: string,
  ) {
    super(message);
    this.name = 'MlflowError';
  }
}

/** Limits of one runs/log-batch call (MLflow's MAX_METRICS_PER_BATCH and friends). */
export const LOG_BATCH_LIMITS = { metrics: 1000, paramsAndTags: 100, entities: 1000 } as const;

/** JSON with non-finite numbers as the strings MLflow's protobuf JSON parser reads ("NaN", "Infinity"). */
function toJson(body: unknown): string {
  return JSON.stringify(body, (_k, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v)
      ? Number.isNaN(v)
        ? 'NaN'
        : v > 0
          ? 'Infinity'
          : '-Infinity'
      : v,
  );
}

/**
 * A request deadline counted in event-loop seconds: a 1 s interval that aborts after `ms` of its own
 * ticks. Training and evaluation block the loop for seconds at a time; a wall-clock timer would then
 * expire before the answer that arrived meanwhile is read, and a healthy server would count as down.
 */
function loopTimeout(ms: number): { signal: AbortSignal; clear(): void } {
  const controller = new AbortController();
  let ticks = 0;
  const timer = setInterval(() => {
    ticks += 1;
    if (ticks * 1000 >= ms) controller.abort(new Error(`no answer within ${Math.round(ms / 1000)} s`));
  }, 1000);
  timer.unref(); // the request itself keeps the process alive
  return { signal: controller.signal, clear: () => clearInterval(timer) };
}

export class MlflowClient {
  private readonly base: string;

  constructor(private readonly connection: MlflowConnection) {
    this.base = connection.trackingUri.replace(/\/+$/, '');
  }

  get trackingUri(): string {
    return this.base;
  }

  /** One REST call: GET with a query, POST with a JSON body; the parsed answer or an MlflowError. */
  async call<T>(method: 'GET' | 'POST', endpoint: string, payload: Record<string, unknown> = {}): Promise<T> {
    let url = `${this.base}/api/2.0/mlflow/${endpoint}`;
    const init: RequestInit = { method, headers: { ...this.connection.headers } };
    if (method === 'GET') {
      const query = new URLSearchParams();
      for (const [k, v] of Object.entries(payload)) if (v !== undefined) query.set(k, String(v));
      if ([...query.keys()].length > 0) url += `?${query}`;
    } else {
      init.body = toJson(payload);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
    const text = await this.send(url, init, endpoint);
    return (text ? JSON.parse(text) : {}) as T;
  }

  private async send(url: string, init: RequestInit, what: string): Promise<string> {
    let response: Response | undefined;
    for (let attempt = 1; !response; attempt++) {
      const deadline = loopTimeout(this.connection.timeoutMs ?? 30_000);
      try {
        response = await fetch(url, { ...init, signal: deadline.signal });
      } catch (e) {
        const cause = e instanceof Error ? (e.cause as (Error & { code?: string }) | undefined) : undefined;
        // a kept-alive connection the server closed just as it was reused: the request never reached it
        if (attempt === 1 && cause?.code === 'UND_ERR_SOCKET') continue;
        const reason = cause?.message ?? (e instanceof Error ? e.message : String(e));
        throw new MlflowError(`${what}: ${this.base} unreachable (${reason})`, true);
      } finally {
        deadline.clear();
      }
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return text;
    let errorCode: string | undefined;
    let message = text.slice(0, 300);
    try {
      const body = JSON.parse(text) as { error_code?: string; message?: string };
      errorCode = body.error_code;
      message = body.message ?? message;
    } catch {
      // not JSON (a proxy's error page): keep the start of the text
    }
    const retryable = response.status === 429 || response.status >= 500;
    throw new MlflowError(
      `${what}: HTTP ${response.status}${errorCode ? ` ${errorCode}` : ''}: ${message}`,
      retryable,
      response.status,
      errorCode,
    );
  }

  /** The experiment's id, or null when no experiment has that name. */
  async experimentIdByName(name: string): Promise<string | null> {
    try {
      const r = await this.call<{ experiment: { experiment_id: string } }>('GET', 'experiments/get-by-name', {
        experiment_name: name,
      });
      return r.experiment.experiment_id;
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw e;
    }
  }

  /** The id of the experiment of that name, created when missing (another writer may create it first). */
  async ensureExperiment(name: string): Promise<string> {
    const found = await this.experimentIdByName(name);
    if (found !== null) return found;
    try {
      const r = await this.call<{ experiment_id: string }>('POST', 'experiments/create', { name });
      return r.experiment_id;
    } catch (e) {
      if (e instanceof MlflowError && e.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const again = await this.experimentIdByName(name);
        if (again !== null) return again;
      }
      throw e;
    }
  }

  async createRun(request: {
    experimentId: string;
    runName: string;
    startTime: number;
    tags: MlflowKeyValue[];
  }): Promise<MlflowRunInfo> {
    const r = await this.call<{ run: { info: MlflowRunInfo } }>('POST', 'runs/create', {
      experiment_id: request.experimentId,
      run_name: request.runName,
      start_time: request.startTime,
      tags: request.tags,
    });
    return r.run.info;
  }

  /** One runs/log-batch call; the caller keeps within LOG_BATCH_LIMITS. */
  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowKeyValue[]; tags?: MlflowKeyValue[] },
  ): Promise<void> {
    await this.call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: batch.metrics ?? [],
      params: batch.params ?? [],
      tags: batch.tags ?? [],
    });
  }

  async updateRun(runId: string, status: MlflowRunStatus, endTime?: number): Promise<void> {
    await this.call('POST', 'runs/update', {
      run_id: runId,
      status,
      ...(endTime ? { end_time: endTime } : {}),
    });
  }

  async getRun(runId: string): Promise<MlflowRunData> {
    return (await this.call<{ run: MlflowRunData }>('GET', 'runs/get', { run_id: runId })).run;
  }

  async searchRuns(experimentIds: string[], filter: string): Promise<MlflowRunData[]> {
    const r = await this.call<{ runs?: MlflowRunData[] }>('POST', 'runs/search', {
      experiment_ids: experimentIds,
      filter,
      max_results: 100,
    });
    return r.runs ?? [];
  }

  /** Every value logged for one metric, in logging order. */
  async metricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const r = await this.call<{ metrics?: MlflowMetric[] }>('GET', 'metrics/get-history', {
      run_id: runId,
      metric_key: key,
      max_results: 25_000,
    });
    return r.metrics ?? [];
  }

  /** The run's artifacts under `path` (the root by default). */
  async listArtifacts(
    runId: string,
    path?: string,
  ): Promise<Array<{ path: string; is_dir: boolean; file_size?: number }>> {
    const r = await this.call<{ files?: Array<{ path: string; is_dir: boolean; file_size?: number }> }>(
      'GET',
      'artifacts/list',
      { run_id: runId, path },
    );
    return r.files ?? [];
  }

  /**
   * Uploads one file through the server's artifact proxy. `artifactUri` is the run's artifact_uri,
   * which names the proxy (`mlflow-artifacts:/<experiment>/<run>/artifacts`) when the server serves
   * artifacts; any other store (s3:, file:) is the client's to write, which ftune does not do.
   */
  async uploadArtifact(artifactUri: string, name: string, content: Uint8Array): Promise<void> {
    const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/(.*)$/.exec(artifactUri);
    if (!m) {
      throw new MlflowError(
        `the run's artifact store ${artifactUri} is not served by the tracking server (start it with --serve-artifacts)`,
        false,
      );
    }
    const rel = [...m[1].split('/'), ...name.split('/')].filter(Boolean).map(encodeURIComponent).join('/');
    await this.send(
      `${this.base}/api/2.0/mlflow-artifacts/artifacts/${rel}`,
      { method: 'PUT', headers: { ...this.connection.headers }, body: content },
      `upload ${name}`,
    );
  }
}
