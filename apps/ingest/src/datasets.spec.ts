// UploadDataset's receiver on a real file system that fills up: the store is a 256 KiB tmpfs, the
// upload is larger, and the call must end with RESOURCE_EXHAUSTED and leave no partial upload. A client
// that goes away mid-upload (its stream errors) leaves nothing behind either. Mounting needs the
// privileges the project's machines have (root in the container); where mount is refused the full-disk
// case says so and is skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { lastValueFrom, Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ingest } from '@ftune/proto';
import { ArtifactStore } from '@ftune/storage';
import { receiveUpload } from './datasets';

const header = (name: string): ingest.UploadDatasetRequest => ({
  header: { name, format: 0, seed: 0, labelField: '', sizeBytes: 0, sha256: '', split: undefined },
});
const chunk = (bytes: number): ingest.UploadDatasetRequest => ({
  chunk: Buffer.from('{"prompt":"p","completion":"c"}\n'.repeat(Math.ceil(bytes / 32)).slice(0, bytes)),
});

/** Feeds `messages` to receiveUpload and answers the gRPC status it ends with (0 when it succeeded). */
async function statusOf(
  store: ArtifactStore,
  feed: (s: Subject<ingest.UploadDatasetRequest>, cancel: Subject<void>) => void,
) {
  const stream = new Subject<ingest.UploadDatasetRequest>();
  const cancel = new Subject<void>();
  const done = lastValueFrom(receiveUpload(store, stream, cancel)).then(
    () => ({ code: 0, message: '' }),
    (e: { code: number; message: string }) => ({ code: e.code, message: e.message }),
  );
  feed(stream, cancel);
  return done;
}

const leftovers = (store: ArtifactStore) => readdirSync(store.path('datasets'));

describe('UploadDataset on a full disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftune-full-'));
  let mounted = false;
  beforeAll(() => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', dir], { stdio: 'pipe' });
      mounted = true;
    } catch (e) {
      process.stderr.write(`full-disk case skipped: cannot mount a tmpfs here (${String(e).split('\n')[0]})\n`);
    }
  });
  afterAll(() => {
    if (mounted) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends with RESOURCE_EXHAUSTED and removes the partial upload', async (ctx) => {
    if (!mounted) ctx.skip();
    const store = new ArtifactStore(dir);
    store.ensureDir('datasets');
    const result = await statusOf(store, (s) => {
      s.next(header('big'));
      for (let i = 0; i < 8; i++) s.next(chunk(64 * 1024)); // 512 KiB into 256 KiB
      s.complete();
    });
    expect(result).toEqual({ code: status.RESOURCE_EXHAUSTED, message: 'the artifact store is full' });
    expect(leftovers(store)).toEqual([]);
    // the space is back: a small upload goes through
    const small = await statusOf(store, (s) => {
      s.next(header('small'));
      s.next(chunk(1024));
      s.complete();
    });
    expect(small.code).toBe(0);
  });
});

describe('UploadDataset whose client goes away', () => {
  it('ends as CANCELLED and removes the partial upload, whether the call is cancelled or its stream fails', async () => {
    const store = new ArtifactStore(mkdtempSync(join(tmpdir(), 'ftune-cancel-')));
    store.ensureDir('datasets');
    const cancelled = await statusOf(store, (s, cancel) => {
      s.next(header('half'));
      s.next(chunk(4096));
      cancel.next(); // the request stream neither ends nor fails: only the call says so
    });
    expect(cancelled).toEqual({ code: status.CANCELLED, message: 'the client cancelled the upload' });
    const failed = await statusOf(store, (s) => {
      s.next(header('broken'));
      s.next(chunk(4096));
      s.error(new Error('stream reset'));
    });
    expect(failed.code).toBe(status.CANCELLED);
    expect(leftovers(store)).toEqual([]);
  });
});
