// Where a run is tracked in MLflow, read the way MLflow's own client reads it: MLFLOW_TRACKING_URI,
// MLFLOW_EXPERIMENT_NAME (else MLFLOW_EXPERIMENT_ID, else the Default experiment, id 0),
// MLFLOW_TRACKING_TOKEN (a bearer token) or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD (basic
// auth). A URI given on the command line or in the run config wins over the environment, as
// mlflow.set_tracking_uri() does. ftune speaks to tracking servers over HTTP(S) only: a file or
// database URI in the environment is left to Python tools, with a warning; given explicitly, it is an error.
import { UserError } from '@ftune/common';

/** The `tracking.mlflow` section of a run config. */
export interface MlflowConfig {
  trackingUri?: string;
  experimentName?: string;
}

export interface MlflowSettings {
  trackingUri: string;
  /** The experiment to log into; when neither is set, MLflow's Default experiment (id 0). */
  experimentName?: string;
  experimentId?: string;
  /** Authorization from the environment; never written to disk. */
  headers: Record<string, string>;
}

export const MLFLOW_DEFAULT_EXPERIMENT_ID = '0';

function httpUri(value: string): string | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value.replace(/\/+$/, '') : null;
  } catch {
    return null;
  }
}

function authHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { Authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD) {
    const pair = Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD}`).toString(
      'base64',
    );
    return { Authorization: `Basic ${pair}` };
  }
  return {};
}

/**
 * The MLflow settings of a run, or null when tracking is off (no URI anywhere). `flagUri` and `field`
 * name where an explicit URI came from (e.g. `--mlflow-uri`, `tracking.mlflow.trackingUri`) for errors.
 */
export function resolveMlflowSettings(input: {
  flagUri?: string;
  flagName?: string;
  config?: MlflowConfig;
  configField?: string;
  env?: NodeJS.ProcessEnv;
  warn?: (message: string) => void;
}): MlflowSettings | null {
  const env = input.env ?? process.env;
  const explicit =
    input.flagUri !== undefined
      ? { value: input.flagUri, field: input.flagName ?? '--mlflow-uri' }
      : input.config?.trackingUri !== undefined
        ? { value: input.config.trackingUri, field: input.configField ?? 'tracking.mlflow.trackingUri' }
        : null;
  let trackingUri: string | null;
  if (explicit) {
    trackingUri = httpUri(explicit.value);
    if (!trackingUri)
      throw new UserError(
        `${explicit.field}: must be an http(s) URI of an MLflow tracking server (got ${explicit.value})`,
      );
  } else {
    const fromEnv = env.MLFLOW_TRACKING_URI?.trim();
    if (!fromEnv) return null;
    trackingUri = httpUri(fromEnv);
    if (!trackingUri) {
      input.warn?.(
        `MLFLOW_TRACKING_URI=${fromEnv} is not an MLflow tracking server: ftune logs to MLflow over HTTP(S) only (start \`mlflow server\` and point MLFLOW_TRACKING_URI at it); not tracking this run in MLflow`,
      );
      return null;
    }
  }
  const experimentName = input.config?.experimentName ?? (env.MLFLOW_EXPERIMENT_NAME?.trim() || undefined);
  const experimentId = experimentName
    ? undefined
    : env.MLFLOW_EXPERIMENT_ID?.trim() || MLFLOW_DEFAULT_EXPERIMENT_ID;
  return {
    trackingUri,
    ...(experimentName ? { experimentName } : { experimentId }),
    headers: authHeaders(env),
  };
}
