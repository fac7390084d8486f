// Lint rules for the whole workspace. Module boundaries are checked twice, from the tags in each
// project.json (docs/development.md, Module boundaries):
// by type — apps → jobs, transport, domain, platform, generated; jobs (the training-job system) →
// transport, domain, generated, platform; transport (the service kit) → domain, generated, platform;
// domain → domain; platform → platform, domain; generated → nothing internal;
// by scope, the layers from the bottom up — shared (common) < data < model < eval < pipeline
// (pipeline, contracts, storage) < service (transport, train-jobs, telemetry, compute, proto) < app: a project
// imports only its own layer and those below, so no domain library reaches the pipeline or services.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Scope tags from the bottom layer up; each may depend only on itself and the layers before it. */
const SCOPE_LAYERS = [
  'scope:shared',
  'scope:data',
  'scope:model',
  'scope:eval',
  'scope:pipeline',
  'scope:service',
  'scope:app',
];

export default [
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'libs/proto/src/gen/**',
      'tools/lint-fixtures/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      'vitest.config.ts',
    ],
  },
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
        {
          selector: "CallExpression[callee.object.name=/^(it|describe|test)$/][callee.property.name=/^(only|skip)$/]",
          message: 'No focused or skipped tests.',
        },
      ],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: [
                'type:jobs',
                'type:transport',
                'type:domain',
                'type:platform',
                'type:generated',
              ],
            },
            {
              sourceTag: 'type:jobs',
              onlyDependOnLibsWithTags: ['type:transport', 'type:domain', 'type:generated', 'type:platform'],
            },
            {
              sourceTag: 'type:transport',
              onlyDependOnLibsWithTags: ['type:domain', 'type:generated', 'type:platform'],
            },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:domain'] },
            { sourceTag: 'type:generated', onlyDependOnLibsWithTags: [] },
            ...SCOPE_LAYERS.map((scope, i) => ({
              sourceTag: scope,
              onlyDependOnLibsWithTags: SCOPE_LAYERS.slice(0, i + 1),
            })),
          ],
        },
      ],
    },
  },
  {
    // Domain libraries stay free of transport, telemetry SDKs and native TensorFlow packages.
    files: ['libs/{tokenizer,collator,dataset,model-gpt-neo,safetensors,trainer,eval,bias-audit,storage,contracts,pipeline,common,tracking}/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'kafkajs', '@grpc/*'], message: 'Domain libs take no transport dependency.' },
            { group: ['@opentelemetry/sdk-*', '@opentelemetry/exporter-*', '@opentelemetry/instrumentation*'], message: 'Domain libs take only @opentelemetry/api.' },
            { group: ['@tensorflow/tfjs-node', '@tensorflow/tfjs'], message: 'Model code uses @tensorflow/tfjs-core only; the backend is chosen in @ftune/compute.' },
            { group: ['@ftune/proto'], message: 'Domain libs do not use generated proto types.' },
          ],
        },
      ],
    },
  },
];
