// Lint rules for the whole workspace. Module boundaries follow the tag matrix of the conventions:
// apps → transport, domain, platform, generated; transport → domain, generated, platform;
// domain → domain; platform → platform, domain; generated → nothing internal.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

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
              onlyDependOnLibsWithTags: ['type:transport', 'type:domain', 'type:platform', 'type:generated'],
            },
            {
              sourceTag: 'type:transport',
              onlyDependOnLibsWithTags: ['type:domain', 'type:generated', 'type:platform'],
            },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:domain'] },
            { sourceTag: 'type:generated', onlyDependOnLibsWithTags: [] },
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
            { group: ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs'], message: 'Model code uses @tensorflow/tfjs-core only; the backend is chosen in @ftune/compute.' },
            { group: ['@ftune/proto'], message: 'Domain libs do not use generated proto types.' },
          ],
        },
      ],
    },
  },
];
