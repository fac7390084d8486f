// DatasetService: uploads stream into datasets/<id>/ of the artifact store (size bounded, checksum
// checked) and are ingested with @ftune/dataset's ingestFile; GetDataset reads the recorded result.
import { Controller, Inject } from '@nestjs/common';
import type { Metadata, ServerReadableStream } from '@grpc/grpc-js';
import { fromEvent, lastValueFrom, type Observable } from 'rxjs';
import { ingestFile } from '@ftune/dataset';
import { ingest } from '@ftune/proto';
import { checkSegment, type ArtifactStore } from '@ftune/storage';
import { notFound, STORE } from '@ftune/transport';
import { datasetFromManifest, formatName, receiveUpload, validateContent } from './datasets';

@Controller()
@ingest.DatasetServiceControllerMethods()
export class DatasetGrpcController implements ingest.DatasetServiceController {
  constructor(@Inject(STORE) private readonly store: ArtifactStore) {}

  async uploadDataset(
    request: Observable<ingest.UploadDatasetRequest>,
    _metadata?: Metadata,
    call?: ServerReadableStream<unknown, unknown>,
  ): Promise<ingest.UploadDatasetResponse> {
    // a client that cancels only tells the call ('cancelled'); the request stream just stops
    const cancelled = call ? fromEvent(call, 'cancelled') : undefined;
    const upload = await lastValueFrom(receiveUpload(this.store, request, cancelled));
    const manifest = await ingestFile(this.store.path(upload.file), {
      out: this.store.path(upload.datasetDir),
      format: formatName(upload.header.format),
      split: upload.header.split
        ? [upload.header.split.train, upload.header.split.validation, upload.header.split.test]
        : undefined,
      seed: upload.header.seed || undefined,
      labelField: upload.header.labelField || undefined,
    });
    const dataset = datasetFromManifest(
      upload.datasetId,
      upload.header,
      upload.datasetDir,
      upload.sha256,
      manifest,
    );
    this.store.writeJson(`datasets/${upload.datasetId}/dataset.json`, dataset);
    return { dataset };
  }

  getDataset(request: ingest.GetDatasetRequest): ingest.GetDatasetResponse {
    const id = checkSegment(request.datasetId, 'dataset id');
    const dataset = this.store.tryReadJson<ingest.Dataset>(`datasets/${id}/dataset.json`);
    if (!dataset) throw notFound(`dataset ${id}`);
    return { dataset };
  }

  async validateDataset(request: ingest.ValidateDatasetRequest): Promise<ingest.ValidateDatasetResponse> {
    return validateContent(this.store, request);
  }
}
