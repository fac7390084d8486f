// Vitest for the experiment-tracking tests: the shared configuration plus a global setup that starts a
// real MLflow tracking server (tests/support/mlflow.ts). Apart from the Kafka tests' configuration, so
// that those do not wait for MLflow, and these not for Kafka.
import { resolve } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Vitest config, not a library
import sharedConfig from '../../vitest.config';

// eslint-disable-next-line no-restricted-syntax -- Vitest reads its configuration from the default export
export default mergeConfig(
  sharedConfig,
  defineConfig({
    root: resolve(__dirname, '../..'),
    test: {
      dir: 'tests/tracking',
      globalSetup: [resolve(__dirname, '../support/mlflow.ts')],
    },
  }),
);
