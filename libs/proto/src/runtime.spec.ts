// The .proto files load at run time with PROTO_LOADER_OPTIONS and give messages exactly the shape of
// the generated interfaces: a real @grpc/grpc-js server and client exchange typed messages (nested
// packages, enums, maps, timestamps, int64, oneofs, a client stream of bytes).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audit, evaluate, ingest, pipeline, tokenize, train } from './index';
import { PROTO_LOADER_OPTIONS, ProtoServices, protoPath, type ProtoServiceName } from './runtime';

function serviceOf(name: ProtoServiceName): grpc.ServiceClientConstructor {
  const { package: pkg, service } = ProtoServices[name];
  let node = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath(name), PROTO_LOADER_OPTIONS));
  for (const part of pkg.split('.')) node = node[part] as grpc.GrpcObject;
  return node[service] as grpc.ServiceClientConstructor;
}

const run: pipeline.Run = {
  runId: 'sentiment-20261126',
  name: 'sentiment',
  state: pipeline.RunState.RUN_STATE_RUNNING,
  stages: [
    {
      stage: pipeline.Stage.STAGE_INGEST,
      state: pipeline.StageState.STAGE_STATE_SUCCEEDED,
      startedAt: { seconds: 1_795_000_000, nanos: 5 },
      finishedAt: { seconds: 1_795_000_010, nanos: 0 },
      artifactPath: 'runs/sentiment-20261126/dataset',
      error: '',
    },
  ],
  createdAt: { seconds: 1_795_000_000, nanos: 0 },
  updatedAt: { seconds: 1_795_000_020, nanos: 0 },
  finishedAt: undefined,
  runDir: 'runs/sentiment-20261126',
  failureReason: '',
  failedStage: pipeline.Stage.STAGE_UNSPECIFIED,
  trainingProgress: {
    step: 12,
    totalSteps: 100,
    epoch: 0.5,
    loss: 2.25,
    learningRate: 5e-5,
    tokensPerSecond: 1234.5,
    evalLoss: 2.5,
    reportedAt: { seconds: 1_795_000_020, nanos: 0 },
  },
  result: {
    modelDir: 'runs/sentiment-20261126/model',
    reportPath: '',
    metrics: { perplexity: 9.5, token_accuracy: 0.75 },
    auditPassed: false,
    auditReasons: [],
  },
};

describe('runtime loading of proto/', () => {
  const server = new grpc.Server();
  let address = '';
  const uploads: ingest.UploadDatasetRequest[] = [];

  beforeAll(async () => {
    const runService = serviceOf('pipeline');
    server.addService(runService.service, {
      getRun: (
        call: grpc.ServerUnaryCall<pipeline.GetRunRequest, pipeline.GetRunResponse>,
        done: grpc.sendUnaryData<pipeline.GetRunResponse>,
      ) => {
        done(null, { run: { ...run, runId: call.request.runId } });
      },
    });
    server.addService(serviceOf('ingest').service, {
      uploadDataset: (
        call: grpc.ServerReadableStream<ingest.UploadDatasetRequest, ingest.UploadDatasetResponse>,
        done: grpc.sendUnaryData<ingest.UploadDatasetResponse>,
      ) => {
        call.on('data', (m: ingest.UploadDatasetRequest) => uploads.push(m));
        call.on('end', () => {
          const bytes = uploads.reduce((n, m) => n + (m.chunk?.length ?? 0), 0);
          done(null, { dataset: { ...emptyDataset, name: uploads[0].header?.name ?? '', sizeBytes: bytes } });
        });
      },
    });
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? fail(e) : ok(p),
      ),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    server.forceShutdown();
  });

  it('every service file loads and defines the service the generated code names', () => {
    const names: Record<ProtoServiceName, string> = {
      pipeline: pipeline.RUN_SERVICE_NAME,
      ingest: ingest.DATASET_SERVICE_NAME,
      tokenize: tokenize.TOKENIZER_SERVICE_NAME,
      train: train.TRAINING_SERVICE_NAME,
      evaluate: evaluate.EVALUATION_SERVICE_NAME,
      audit: audit.BIAS_AUDIT_SERVICE_NAME,
    };
    for (const name of Object.keys(ProtoServices) as ProtoServiceName[]) {
      expect(ProtoServices[name].service).toBe(names[name]);
      expect(Object.keys(serviceOf(name).service).length).toBeGreaterThan(0);
    }
    const runMethods = serviceOf('pipeline').service;
    expect(runMethods.WatchRun.responseStream).toBe(true);
    expect(serviceOf('ingest').service.UploadDataset.requestStream).toBe(true);
  });

  it('a message crosses the wire with the generated shape (unset messages arrive as null)', async () => {
    const RunService = serviceOf('pipeline');
    const client = new RunService(address, grpc.credentials.createInsecure());
    const reply = await new Promise<pipeline.GetRunResponse>((ok, fail) =>
      client.getRun({ runId: 'r-1' }, (e: grpc.ServiceError | null, r: pipeline.GetRunResponse) =>
        e ? fail(e) : ok(r),
      ),
    );
    client.close();
    expect(reply.run).toEqual({ ...run, runId: 'r-1', finishedAt: null });
  });

  it('a client stream carries the header, then bytes (oneof payload)', async () => {
    const DatasetService = serviceOf('ingest');
    const client = new DatasetService(address, grpc.credentials.createInsecure());
    const reply = await new Promise<ingest.UploadDatasetResponse>((ok, fail) => {
      const call = client.uploadDataset((e: grpc.ServiceError | null, r: ingest.UploadDatasetResponse) =>
        e ? fail(e) : ok(r),
      );
      const header: ingest.UploadDatasetRequest = {
        header: { ...emptyHeader, name: 'reviews.jsonl', sizeBytes: 9 },
      };
      call.write(header);
      call.write({ chunk: Buffer.from('{"a":1}\n') } satisfies ingest.UploadDatasetRequest);
      call.write({ chunk: Buffer.from('\n') } satisfies ingest.UploadDatasetRequest);
      call.end();
    });
    client.close();
    expect(reply.dataset?.name).toBe('reviews.jsonl');
    expect(reply.dataset?.sizeBytes).toBe(9);
    expect(uploads[0].header?.sizeBytes).toBe(9);
    expect(uploads[0].chunk).toBeUndefined();
    expect(uploads[1].header).toBeUndefined();
    expect(Buffer.from(uploads[1].chunk ?? []).toString()).toBe('{"a":1}\n');
  });
});

const emptyHeader: ingest.DatasetUploadHeader = {
  name: '',
  format: ingest.DatasetFormat.DATASET_FORMAT_UNSPECIFIED,
  split: undefined,
  seed: 0,
  labelField: '',
  sizeBytes: 0,
  sha256: '',
};

const emptyDataset: ingest.Dataset = {
  datasetId: 'd1',
  name: '',
  format: ingest.DatasetFormat.DATASET_FORMAT_TEXT,
  datasetDir: 'datasets/d1',
  sha256: '',
  counts: undefined,
  sizeBytes: 0,
  errors: [],
  createdAt: undefined,
};
