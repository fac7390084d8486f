// RunService: StartRun validates and records a run and emits run.requested.v1 (a run whose event the
// broker has not taken yet stays in the outbox: lifecycle/outbox.ts of @ftune/pipeline); GetRun, ListRuns and
// WatchRun answer from the run records; CancelRun records the cancellation in the store (stages and
// the training job read it) and in the record.
import { status } from '@grpc/grpc-js';
import { Controller, Inject } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import {
  awaitsRequest,
  isFinished,
  markCancelled,
  mlflowSettingsFor,
  newRunRecord,
  parseRemoteConfig,
  requestRun,
  runConfigPath,
  RunRecords,
  type Publish,
  type RunChange,
  type RunRecord,
} from '@ftune/pipeline';
import { pipeline } from '@ftune/proto';
import { checkSegment, createExclusive, type ArtifactStore } from '@ftune/storage';
import { GrpcError, notFound, PRODUCER, STORE, type EventProducer } from '@ftune/transport';
import { runStateOf, toRun, toStageStatus } from './run-mapping';

@Controller()
@pipeline.RunServiceControllerMethods()
export class RunGrpcController implements pipeline.RunServiceController {
  constructor(
    @Inject(RunRecords) private readonly records: RunRecords,
    @Inject(STORE) private readonly store: ArtifactStore,
    @Inject(PRODUCER) private readonly producer: EventProducer,
  ) {}

  private readonly publish: Publish = (topic, event) => this.producer.publish(topic, event);

  async startRun(request: pipeline.StartRunRequest): Promise<pipeline.StartRunResponse> {
    const datasetPath = request.datasetId ? this.uploadedDataset(request.datasetId) : undefined;
    const { config, runId } = parseRemoteConfig(request.config, this.store, {
      runId: request.runId,
      datasetPath,
    });
    mlflowSettingsFor(config, {}); // an MLflow URI that is not http(s) is refused before the run exists
    trace.getActiveSpan()?.setAttribute('ftune.run_id', runId); // StartRun's span is the run trace's root
    // the config first, created exclusively: of two StartRuns for one id with different configs one wins
    const configText = JSON.stringify(config, null, 2) + '\n';
    if (!createExclusive(this.store.path(runConfigPath(runId)), configText)) {
      const pinned = this.store.tryReadJson<unknown>(runConfigPath(runId));
      if (JSON.stringify(pinned) !== JSON.stringify(JSON.parse(configText)))
        throw new GrpcError(status.ALREADY_EXISTS, `run ${runId} exists with a different config`);
    }
    const created = this.records.create(newRunRecord(runId, config.name ?? ''));
    let record = this.records.get(runId);
    if (!record) throw new GrpcError(status.INTERNAL, `run ${runId} was not recorded`);
    if (awaitsRequest(record)) {
      try {
        record = (await requestRun(this.records, this.store, this.publish, runId)) ?? record;
      } catch (error) {
        // recorded, not yet requested: the outbox sends run.requested again until the broker takes it
        throw new GrpcError(
          status.UNAVAILABLE,
          `run ${runId} is recorded but the broker did not take run.requested yet (it is sent again): ${
            error instanceof Error ? error.message : String(error)
          }`,
        );
      }
    }
    return { run: toRun(record), created };
  }

  getRun(request: pipeline.GetRunRequest): pipeline.GetRunResponse {
    return { run: toRun(this.find(request.runId)) };
  }

  listRuns(request: pipeline.ListRunsRequest): pipeline.ListRunsResponse {
    const size = Math.min(request.pageSize || 50, 500);
    const start = request.pageToken ? Number.parseInt(request.pageToken, 10) || 0 : 0;
    const state = runStateOf(request.state);
    const all = this.records.list().filter((r) => !state || r.state === state);
    const page = all.slice(start, start + size);
    return { runs: page.map(toRun), nextPageToken: start + size < all.length ? String(start + size) : '' };
  }

  watchRun(request: pipeline.WatchRunRequest): Observable<pipeline.WatchRunResponse> {
    const first = this.find(request.runId);
    return new Observable<pipeline.WatchRunResponse>((sub) => {
      const onChange = (record: RunRecord, change: RunChange) => {
        const run = toRun(record);
        if (change.kind === 'stage') sub.next({ run, stage: toStageStatus(change.stage) });
        else if (change.kind === 'progress') sub.next({ run, trainingProgress: run.trainingProgress });
        else sub.next({ run });
        if (isFinished(record) && change.kind === 'run') sub.complete();
      };
      sub.next({ run: toRun(first) });
      if (isFinished(first)) {
        sub.complete();
        return undefined;
      }
      this.records.changes.on(first.runId, onChange);
      return () => this.records.changes.off(first.runId, onChange);
    });
  }

  cancelRun(request: pipeline.CancelRunRequest): pipeline.CancelRunResponse {
    const record = this.find(request.runId);
    if (isFinished(record)) return { run: toRun(record) };
    const reason = request.reason || 'cancelled';
    markCancelled(this.store, record.runId, reason);
    return { run: toRun(this.records.cancel(record.runId, reason) ?? record) };
  }

  private find(runId: string): RunRecord {
    const record = this.records.get(checkSegment(runId));
    if (!record) throw notFound(`run ${runId}`);
    return record;
  }

  /** The uploaded source file of a DatasetService upload (the run ingests it as its dataset). */
  private uploadedDataset(datasetId: string): string {
    const id = checkSegment(datasetId, 'dataset id');
    const file = ['jsonl', 'csv', 'txt']
      .map((ext) => `datasets/${id}/source.${ext}`)
      .find((p) => this.store.exists(p));
    if (!file) throw notFound(`dataset ${id}`);
    return file;
  }
}
