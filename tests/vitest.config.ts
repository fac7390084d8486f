// Vitest for the cross-process tests: the shared configuration plus a global setup that starts the
// local Kafka broker (tools/kafka/kafka.js) once for the whole run and stops it only if it started it.
import { resolve } from 'node:path';
import { defineConfig, mergeConfig } from 'vitest/config';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the workspace's shared Vitest config, not a library
import sharedConfig from '../vitest.config';

// eslint-disable-next-line no-restricted-syntax -- Vitest reads its configuration from the default export
export default mergeConfig(
  sharedConfig,
  defineConfig({
    root: resolve(__dirname, '..'),
    test: {
      dir: 'tests',
      exclude: ['tracking/**'], // relative to dir; their own configuration: tests/tracking/vitest.config.ts
      globalSetup: [resolve(__dirname, 'support/kafka.ts')],
    },
  }),
);
