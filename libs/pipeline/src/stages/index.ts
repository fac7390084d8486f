// The five pipeline stages in order; the same handlers run in one process and behind Kafka.
import { auditStage } from './audit';
import { evaluateStage } from './evaluate';
import { ingestStage } from './ingest';
import { tokenizeStage } from './tokenize';
import { trainStage } from './train';

export { auditStage, evaluateStage, ingestStage, tokenizeStage, trainStage };
export * from './common';
export { filterSamples, type FilterSummary } from './evaluate';
export type { MitigationReport } from './mitigation';
export type { SplitTokens, TokenizeSummary } from './tokenize';

export const STAGES = [ingestStage, tokenizeStage, trainStage, evaluateStage, auditStage] as const;
