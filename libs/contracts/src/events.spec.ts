import { describe, expect, it } from 'vitest';
import { dlqTopic, InvalidEventError, newEnvelope, Topics, validateEvent, ALL_TOPICS } from './index';

describe('event validation', () => {
  it('accepts a well-formed event', () => {
    const e = {
      ...newEnvelope('run-1'),
      datasetDir: 'runs/run-1/ingest',
      datasetHash: 'abc',
      counts: { train: 8, validation: 1, test: 1, rejected: 0 },
    };
    expect(validateEvent(Topics.datasetIngested, e)).toBe(e);
  });

  it('names the missing and wrong fields', () => {
    const bad = { ...newEnvelope('run-1'), datasetDir: 'runs/run-1/ingest', counts: { train: -1 } };
    try {
      validateEvent(Topics.datasetIngested, bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidEventError);
      const msg = (e as Error).message;
      expect(msg).toContain("must have required property 'datasetHash'");
      expect(msg).toContain('/counts/train must be >= 0');
    }
  });

  it('refuses paths that escape the artifact store and unsafe run ids', () => {
    const base = { ...newEnvelope('r'), modelDir: '../../etc', metricsPath: 'm', steps: 1, finalLoss: 1 };
    expect(() => validateEvent(Topics.modelTrained, base)).toThrow(/modelDir/);
    expect(() => validateEvent(Topics.modelTrained, { ...base, modelDir: '/abs' })).toThrow(/modelDir/);
    expect(() => validateEvent(Topics.runFailed, { ...newEnvelope('a/b'), stage: 'x', reason: 'y' })).toThrow(
      /runId/,
    );
  });

  it('has versioned topics and dead-letter names', () => {
    for (const t of ALL_TOPICS) expect(t).toMatch(/^[a-z.]+\.v1$/);
    expect(dlqTopic(Topics.runRequested)).toBe('run.requested.v1.dlq');
  });
});
