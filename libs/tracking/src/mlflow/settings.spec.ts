import { describe, expect, it } from 'vitest';
import { resolveMlflowSettings } from './settings';

describe('resolveMlflowSettings', () => {
  it('is off without a URI anywhere', () => {
    expect(resolveMlflowSettings({ env: { MLFLOW_EXPERIMENT_NAME: 'x' } })).toBeNull();
  });

  it('reads MLFLOW_TRACKING_URI and MLFLOW_EXPERIMENT_NAME, else MLFLOW_EXPERIMENT_ID, else the Default experiment', () => {
    const env = { MLFLOW_TRACKING_URI: 'http://127.0.0.1:5000/', MLFLOW_EXPERIMENT_NAME: 'sentiment' };
    expect(resolveMlflowSettings({ env })).toEqual({
      trackingUri: 'http://127.0.0.1:5000',
      experimentName: 'sentiment',
      headers: {},
    });
    expect(
      resolveMlflowSettings({
        env: { MLFLOW_TRACKING_URI: 'https://mlflow.example', MLFLOW_EXPERIMENT_ID: '7' },
      })?.experimentId,
    ).toBe('7');
    expect(
      resolveMlflowSettings({ env: { MLFLOW_TRACKING_URI: 'https://mlflow.example' } })?.experimentId,
    ).toBe('0');
  });

  it('takes the flag over the config over the environment, and the config experiment over the environment', () => {
    const env = { MLFLOW_TRACKING_URI: 'http://env:1', MLFLOW_EXPERIMENT_NAME: 'from-env' };
    const config = { trackingUri: 'http://config:2', experimentName: 'from-config' };
    expect(resolveMlflowSettings({ env, config })).toMatchObject({
      trackingUri: 'http://config:2',
      experimentName: 'from-config',
    });
    expect(resolveMlflowSettings({ env, config, flagUri: 'http://flag:3' })?.trackingUri).toBe(
      'http://flag:3',
    );
  });

  it('sends MLflow credentials from the environment: a token as bearer, else user and password as basic', () => {
    const base = { MLFLOW_TRACKING_URI: 'http://h:1' };
    expect(resolveMlflowSettings({ env: { ...base, MLFLOW_TRACKING_TOKEN: 't0k' } })?.headers).toEqual({
      Authorization: 'Bearer t0k',
    });
    const basic = resolveMlflowSettings({
      env: { ...base, MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' },
    });
    expect(basic?.headers.Authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });

  it('rejects a non-HTTP URI given explicitly, naming the field; warns and stays off for one in the environment', () => {
    expect(() => resolveMlflowSettings({ flagUri: 'file:///tmp/mlruns', env: {} })).toThrow(
      /--mlflow-uri: must be an http\(s\) URI/,
    );
    expect(() => resolveMlflowSettings({ config: { trackingUri: 'sqlite:///x.db' }, env: {} })).toThrow(
      /tracking\.mlflow\.trackingUri: must be an http\(s\) URI/,
    );
    const warnings: string[] = [];
    expect(
      resolveMlflowSettings({ env: { MLFLOW_TRACKING_URI: './mlruns' }, warn: (m) => warnings.push(m) }),
    ).toBeNull();
    expect(warnings[0]).toMatch(/MLFLOW_TRACKING_URI=\.\/mlruns is not an MLflow tracking server/);
  });
});
