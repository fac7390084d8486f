// Event payloads carried on the topics of topics.ts, with runtime validation (JSON Schema via ajv).
// Every event has the envelope fields; stage outputs are paths relative to the artifact store.
import Ajv, { type JSONSchemaType, type ValidateFunction } from 'ajv';
import { Topics, type Topic } from './topics';

export interface Envelope {
  /** The run this event belongs to (also the Kafka message key). */
  runId: string;
  /** Unique id of this event (idempotency, dedup in read models). */
  eventId: string;
  /** ISO-8601 time the event was produced. */
  occurredAt: string;
}

export interface RunRequested extends Envelope {
  /** The run configuration (the validated YAML of `ftune run`), as data. */
  config: Record<string, unknown>;
}
export interface DatasetIngested extends Envelope {
  /** Folder with train/validation/test/rejected.jsonl and manifest.json. */
  datasetDir: string;
  datasetHash: string;
  counts: { train: number; validation: number; test: number; rejected: number };
}
export interface DatasetTokenized extends Envelope {
  datasetDir: string;
  /** Folder with the tokenization summary (token counts, truncation report). */
  tokenizedDir: string;
  tokens: number;
}
export interface TrainingProgress extends Envelope {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  learningRate: number;
  tokensPerSecond: number;
  evalLoss?: number;
}
export interface ModelTrained extends Envelope {
  modelDir: string;
  metricsPath: string;
  steps: number;
  finalLoss: number;
}
export interface ModelEvaluated extends Envelope {
  modelDir: string;
  evalPath: string;
  summary: Record<string, number>;
}
export interface ModelAudited extends Envelope {
  auditPath: string;
  passed: boolean;
  reasons: string[];
}
export interface RunCompleted extends Envelope {
  status: 'succeeded' | 'failed';
  runDir: string;
  reportPath?: string;
  auditPassed?: boolean;
}
export interface RunFailed extends Envelope {
  stage: string;
  reason: string;
}

export interface EventByTopic {
  [Topics.runRequested]: RunRequested;
  [Topics.datasetIngested]: DatasetIngested;
  [Topics.datasetTokenized]: DatasetTokenized;
  [Topics.trainingProgress]: TrainingProgress;
  [Topics.modelTrained]: ModelTrained;
  [Topics.modelEvaluated]: ModelEvaluated;
  [Topics.modelAudited]: ModelAudited;
  [Topics.runCompleted]: RunCompleted;
  [Topics.runFailed]: RunFailed;
}

const envelope = {
  runId: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' },
  eventId: { type: 'string', minLength: 1 },
  occurredAt: { type: 'string', minLength: 1 },
} as const;
const relPath = { type: 'string', minLength: 1, pattern: '^(?!/)(?!.*(^|/)\\.\\.(/|$)).*$' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;

function obj<T>(properties: Record<string, unknown>, required: string[]): JSONSchemaType<T> {
  return {
    type: 'object',
    properties: { ...envelope, ...properties },
    required: ['runId', 'eventId', 'occurredAt', ...required],
    additionalProperties: true,
  } as unknown as JSONSchemaType<T>;
}

const schemas: { [K in Topic]: JSONSchemaType<EventByTopic[K]> } = {
  [Topics.runRequested]: obj<RunRequested>({ config: { type: 'object' } }, ['config']),
  [Topics.datasetIngested]: obj<DatasetIngested>(
    {
      datasetDir: relPath,
      datasetHash: { type: 'string' },
      counts: {
        type: 'object',
        properties: { train: int, validation: int, test: int, rejected: int },
        required: ['train', 'validation', 'test', 'rejected'],
      },
    },
    ['datasetDir', 'datasetHash', 'counts'],
  ),
  [Topics.datasetTokenized]: obj<DatasetTokenized>(
    { datasetDir: relPath, tokenizedDir: relPath, tokens: int },
    ['datasetDir', 'tokenizedDir', 'tokens'],
  ),
  [Topics.trainingProgress]: obj<TrainingProgress>(
    {
      step: int,
      totalSteps: int,
      epoch: num,
      loss: num,
      learningRate: num,
      tokensPerSecond: num,
      evalLoss: num,
    },
    ['step', 'totalSteps', 'epoch', 'loss', 'learningRate', 'tokensPerSecond'],
  ),
  [Topics.modelTrained]: obj<ModelTrained>(
    { modelDir: relPath, metricsPath: relPath, steps: int, finalLoss: num },
    ['modelDir', 'metricsPath', 'steps', 'finalLoss'],
  ),
  [Topics.modelEvaluated]: obj<ModelEvaluated>(
    { modelDir: relPath, evalPath: relPath, summary: { type: 'object', additionalProperties: num } },
    ['modelDir', 'evalPath', 'summary'],
  ),
  [Topics.modelAudited]: obj<ModelAudited>(
    {
      auditPath: relPath,
      passed: { type: 'boolean' },
      reasons: { type: 'array', items: { type: 'string' } },
    },
    ['auditPath', 'passed', 'reasons'],
  ),
  [Topics.runCompleted]: obj<RunCompleted>(
    {
      status: { type: 'string', enum: ['succeeded', 'failed'] },
      runDir: relPath,
      reportPath: relPath,
      auditPassed: { type: 'boolean' },
    },
    ['status', 'runDir'],
  ),
  [Topics.runFailed]: obj<RunFailed>({ stage: { type: 'string' }, reason: { type: 'string' } }, [
    'stage',
    'reason',
  ]),
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validators = new Map<Topic, ValidateFunction>();

/** An event that does not match its topic's schema. */
export class InvalidEventError extends Error {
  constructor(
    readonly topic: string,
    readonly problems: string[],
  ) {
    super(`invalid ${topic} event: ${problems.join('; ')}`);
    this.name = 'InvalidEventError';
  }
}

/** Validates an unknown payload against its topic's schema; throws InvalidEventError naming the fields. */
export function validateEvent<T extends Topic>(topic: T, payload: unknown): EventByTopic[T] {
  let v = validators.get(topic);
  if (!v) {
    const schema = schemas[topic];
    if (!schema) throw new InvalidEventError(topic, ['unknown topic']);
    v = ajv.compile(schema);
    validators.set(topic, v);
  }
  if (!v(payload)) {
    const problems = (v.errors ?? []).map(
      (e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`,
    );
    throw new InvalidEventError(topic, problems);
  }
  return payload as EventByTopic[T];
}

let counter = 0;
/** Builds an envelope for a new event of `runId`. */
export function newEnvelope(runId: string): Envelope {
  counter += 1;
  return {
    runId,
    eventId: `${runId}:${Date.now().toString(36)}:${process.pid.toString(36)}:${counter.toString(36)}`,
    occurredAt: new Date().toISOString(),
  };
}
