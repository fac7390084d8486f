// Vitest global setup: a real Apache Kafka broker for the cross-process tests, started through the
// same script as `npm run kafka:start` (idempotent) and stopped at the end only if this run started it.
// Tests read the bootstrap address with `inject('kafkaBrokers')`.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** host:port of the broker started by this setup (or found running). */
    kafkaBrokers: string;
  }
}

/** The development broker script, run as a plain Node process like `npm run kafka:*` does. */
export const kafkaScript = resolve(__dirname, '../../tools/kafka/kafka.js');

export interface KafkaScriptResult {
  started?: boolean;
  stopped?: boolean;
  running?: boolean;
  pid?: number;
  bootstrap?: string;
  ms: number;
}

/** Runs `node tools/kafka/kafka.js <command> --json` and returns its JSON answer. */
export function kafkaScriptJson(command: 'start' | 'stop' | 'status'): KafkaScriptResult {
  const stdout = execFileSync(process.execPath, [kafkaScript, command, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(stdout) as KafkaScriptResult;
}

let startedHere = false;

export function setup(project: TestProject): void {
  const result = kafkaScriptJson('start');
  startedHere = result.started === true;
  if (!result.bootstrap) throw new Error('kafka.js start did not report a bootstrap address');
  project.provide('kafkaBrokers', result.bootstrap);
}

export function teardown(): void {
  if (startedHere) kafkaScriptJson('stop');
}
