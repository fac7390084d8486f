// @ftune/dataset — Streaming dataset readers, validation, deduplication, deterministic split and manifests.
export * from './records/record';
export { validateRecord, type ValidRecord } from './records/validate';
export type { SourceRecord } from './readers/source-record';
export { INPUT_FORMATS, type InputFormat, openRecords, resolveFormat } from './readers/open';
export { exactHash, normalizedHash, normalizeText, type Hash64 } from './dedup/hash';
export { SeenTable } from './dedup/seen-table';
export * from './split/split';
export { TokenLengthStats, type TokenLengthSummary } from './stats/token-stats';
export * from './template/text-template';
export * from './template/chat-template';
export * from './template/chat-template-choice';
export type { Manifest, SplitSummary } from './ingest/manifest';
export {
  DEFAULT_MAX_LENGTH,
  DEFAULT_MAX_RECORD_BYTES,
  ingestFile,
  type IngestOptions,
  type IngestProgress,
  SPLIT_FILES,
} from './ingest/ingest';
export { readManifest, readSplit } from './ingest/read-back';
