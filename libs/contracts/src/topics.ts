// Kafka topic names: one topic per event type, versioned. Messages are keyed by run id so one run's
// events stay ordered. Each consuming stage has a dead-letter topic `<topic>.dlq`.

export const Topics = {
  runRequested: 'run.requested.v1',
  datasetIngested: 'dataset.ingested.v1',
  datasetTokenized: 'dataset.tokenized.v1',
  trainingProgress: 'training.progress.v1',
  modelTrained: 'model.trained.v1',
  modelEvaluated: 'model.evaluated.v1',
  modelAudited: 'model.audited.v1',
  runCompleted: 'run.completed.v1',
  runFailed: 'run.failed.v1',
} as const;

export type Topic = (typeof Topics)[keyof typeof Topics];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/** The dead-letter topic of a consumed topic. */
export function dlqTopic(topic: Topic): string {
  return `${topic}.dlq`;
}

/**
 * The pipeline stages in order, with the topic each consumes, the topic it emits and the field of the
 * emitted event that names the stage's artifact. The one place the stage order is written.
 */
export const Stages = [
  { stage: 'ingest', consumes: Topics.runRequested, emits: Topics.datasetIngested, artifact: 'datasetDir' },
  {
    stage: 'tokenize',
    consumes: Topics.datasetIngested,
    emits: Topics.datasetTokenized,
    artifact: 'tokenizedDir',
  },
  { stage: 'train', consumes: Topics.datasetTokenized, emits: Topics.modelTrained, artifact: 'modelDir' },
  { stage: 'evaluate', consumes: Topics.modelTrained, emits: Topics.modelEvaluated, artifact: 'evalPath' },
  { stage: 'audit', consumes: Topics.modelEvaluated, emits: Topics.modelAudited, artifact: 'auditPath' },
] as const;

export type StageName = (typeof Stages)[number]['stage'];
