// Mapping between DatasetService messages and @ftune/dataset: the upload stream written into the
// artifact store (header first, then chunks; at most FTUNE_MAX_UPLOAD_BYTES, default 1 GiB; the
// declared size and SHA-256 checked), proto formats ↔ record styles, and a manifest as a Dataset.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { Observable } from 'rxjs';
import {
  DEFAULT_MAX_RECORD_BYTES,
  detectStyle,
  messageWithoutContent,
  openRecords,
  resolveFormat,
  validateRecord,
  type Manifest,
} from '@ftune/dataset';
import { ingest } from '@ftune/proto';
import { checkSegment, writeAtomic, type ArtifactStore } from '@ftune/storage';
import { isUserError } from '@ftune/common';
import { GrpcError, toTimestamp } from '@ftune/transport';

const MAX_UPLOAD = Number(process.env.FTUNE_MAX_UPLOAD_BYTES ?? 1 << 30);
/** Most record errors one ValidateDataset answer lists (max_errors is capped to it; 0 means 100). */
export const MAX_VALIDATE_ERRORS = 1000;
const { DatasetFormat } = ingest;

export function formatName(format: ingest.DatasetFormat): string {
  switch (format) {
    case DatasetFormat.DATASET_FORMAT_PROMPT_COMPLETION:
      return 'prompt-completion';
    case DatasetFormat.DATASET_FORMAT_CHAT:
      return 'chat';
    case DatasetFormat.DATASET_FORMAT_TEXT:
      return 'txt';
    case DatasetFormat.DATASET_FORMAT_CSV:
      return 'csv';
    default:
      return 'auto';
  }
}

export interface ReceivedUpload {
  datasetId: string;
  header: ingest.DatasetUploadHeader;
  /** Relative paths inside the store. */
  file: string;
  datasetDir: string;
  sha256: string;
  bytes: number;
}

export function receiveUpload(
  store: ArtifactStore,
  stream: Observable<ingest.UploadDatasetRequest>,
  /** Emits when the client cancels the call (the request stream then neither ends nor fails). */
  cancelled?: Observable<unknown>,
): Observable<ReceivedUpload> {
  return new Observable<ReceivedUpload>((sub) => {
    let header: ingest.DatasetUploadHeader | undefined;
    let fd: number | undefined;
    let file = '';
    let datasetId = '';
    let bytes = 0;
    const hash = createHash('sha256');
    const fail = (code: status, message: string) => {
      try {
        if (fd !== undefined) closeSync(fd);
        if (datasetId) rmSync(store.path(`datasets/${datasetId}`), { recursive: true, force: true });
      } catch {
        // the call's status says what went wrong; a leftover folder is only space
      }
      fd = undefined;
      sub.error(new GrpcError(code, message));
    };
    const onHeader = (h: ingest.DatasetUploadHeader): void => {
      // everything the header says is checked before the first file is made
      const name = h.name ? checkSegment(h.name, 'header.name') : 'dataset';
      if (h.sizeBytes > MAX_UPLOAD)
        throw new GrpcError(
          status.RESOURCE_EXHAUSTED,
          `header.size_bytes: over the limit of ${MAX_UPLOAD} bytes`,
        );
      header = h;
      datasetId = `${name}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
      const kind = formatName(h.format);
      file = `datasets/${datasetId}/source.${kind === 'csv' ? 'csv' : kind === 'txt' ? 'txt' : 'jsonl'}`;
      store.ensureDir(`datasets/${datasetId}`);
      fd = openSync(store.path(file), 'w');
    };
    const onChunk = (chunk: Uint8Array): void => {
      if (!header || fd === undefined)
        throw new GrpcError(status.INVALID_ARGUMENT, 'the header must come before any chunk');
      bytes += chunk.length;
      if (bytes > MAX_UPLOAD)
        throw new GrpcError(status.RESOURCE_EXHAUSTED, `upload larger than ${MAX_UPLOAD} bytes`);
      hash.update(chunk);
      writeSync(fd, chunk);
    };
    const onComplete = (): ReceivedUpload => {
      if (!header || fd === undefined)
        throw new GrpcError(status.INVALID_ARGUMENT, 'empty upload: no header');
      closeSync(fd);
      fd = undefined;
      const sha256 = hash.digest('hex');
      if (header.sizeBytes && header.sizeBytes !== bytes)
        throw new GrpcError(status.INVALID_ARGUMENT, `declared ${header.sizeBytes} bytes, received ${bytes}`);
      if (header.sha256 && header.sha256.toLowerCase() !== sha256)
        throw new GrpcError(
          status.INVALID_ARGUMENT,
          `SHA-256 mismatch: declared ${header.sha256}, received ${sha256}`,
        );
      return { datasetId, header, file, datasetDir: `datasets/${datasetId}/dataset`, sha256, bytes };
    };
    // Nothing is thrown out of an observer callback: each step's error ends the call with a status
    // (a full disk is RESOURCE_EXHAUSTED) and removes the partial upload.
    const guarded = (step: () => void): void => {
      if (sub.closed) return;
      try {
        step();
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (e instanceof GrpcError) fail(e.code, e.message);
        else if (isUserError(e)) fail(status.INVALID_ARGUMENT, e.message);
        else if (code === 'ENOSPC' || code === 'EDQUOT')
          fail(status.RESOURCE_EXHAUSTED, 'the artifact store is full');
        else fail(status.INTERNAL, `upload failed: ${code ?? 'internal error'}`);
      }
    };
    const inner = stream.subscribe({
      next: (msg) =>
        guarded(() => {
          if (msg.header) {
            if (header) throw new GrpcError(status.INVALID_ARGUMENT, 'the header must be sent once, first');
            onHeader(msg.header);
          } else onChunk(msg.chunk ?? Buffer.alloc(0));
        }),
      error: (e: unknown) => fail(status.CANCELLED, `upload stream failed: ${String(e)}`),
      complete: () =>
        guarded(() => {
          const received = onComplete();
          sub.next(received);
          sub.complete();
        }),
    });
    const cancel = cancelled?.subscribe(() => {
      if (!sub.closed) fail(status.CANCELLED, 'the client cancelled the upload');
    });
    return () => {
      inner.unsubscribe();
      cancel?.unsubscribe();
    };
  });
}

export function datasetFromManifest(
  datasetId: string,
  header: ingest.DatasetUploadHeader,
  datasetDir: string,
  sha256: string,
  manifest: Manifest,
): ingest.Dataset {
  return {
    datasetId,
    name: header.name,
    format: header.format,
    datasetDir,
    sha256,
    sizeBytes: manifest.source.bytes,
    counts: {
      train: manifest.splits.train.records,
      validation: manifest.splits.validation.records,
      test: manifest.splits.test.records,
      rejected: manifest.records.rejected,
      duplicates: manifest.rejected.duplicate ?? 0,
    },
    errors: [],
    createdAt: toTimestamp(new Date().toISOString()),
  };
}

/**
 * Validates records given inline or by a path inside the store, without writing a dataset. Errors
 * carry the line number and the reason only, never text from the file (a caller may name a file it
 * could not read otherwise), and at most MAX_VALIDATE_ERRORS of them are listed.
 */
export async function validateContent(
  store: ArtifactStore,
  request: ingest.ValidateDatasetRequest,
): Promise<ingest.ValidateDatasetResponse> {
  let file: string;
  let temporary = false;
  if (request.path !== undefined) {
    file = store.path(request.path);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (!stat)
      throw new GrpcError(
        status.NOT_FOUND,
        `path ${JSON.stringify(request.path)} not found in the artifact store`,
      );
    if (!stat.isFile())
      throw new GrpcError(status.INVALID_ARGUMENT, `path ${JSON.stringify(request.path)} is not a file`);
  } else {
    const content = request.content ?? Buffer.alloc(0);
    file = store.path(
      `tmp/validate-${randomBytes(6).toString('hex')}.${formatName(request.format) === 'csv' ? 'csv' : 'jsonl'}`,
    );
    writeAtomic(file, content);
    temporary = true;
  }
  try {
    return await validateFile(file, request, Math.min(request.maxErrors || 100, MAX_VALIDATE_ERRORS));
  } finally {
    if (temporary) rmSync(file, { force: true });
  }
}

async function validateFile(
  file: string,
  request: ingest.ValidateDatasetRequest,
  maxErrors: number,
): Promise<ingest.ValidateDatasetResponse> {
  const resolved = resolveFormat(formatName(request.format), file);
  const errors: ingest.RecordError[] = [];
  let records = 0;
  let invalid = 0;
  for await (const rec of openRecords(file, resolved.container, {
    maxRecordBytes: DEFAULT_MAX_RECORD_BYTES,
  })) {
    records += 1;
    const style = resolved.style ?? (rec.value ? detectStyle(rec.value) : undefined);
    const problem =
      rec.error ??
      (rec.value && style ? validateRecord(rec.value, style) : { message: 'unknown record format' });
    if (problem && 'message' in problem) {
      invalid += 1;
      const message = 'reason' in problem ? messageWithoutContent(problem) : problem.message;
      if (errors.length < maxErrors) errors.push({ line: rec.line, message });
    }
  }
  return {
    valid: invalid === 0 && records > 0,
    format: request.format,
    records,
    invalidRecords: invalid,
    errors,
  };
}
