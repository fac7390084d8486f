import { Module } from '@nestjs/common';
import { RunRecords, RunTrackings } from '@ftune/pipeline';
import { KAFKA_CONTROLLER, LOGGER, STORE, type Logger } from '@ftune/transport';
import type { ArtifactStore } from '@ftune/storage';
import { RunGrpcController } from './pipeline.grpc.controller';
import { PipelineKafkaController } from './pipeline.kafka.controller';
import { RunOutbox } from './run-outbox';

@Module({
  controllers: [RunGrpcController],
  providers: [
    {
      provide: RunRecords,
      useFactory: (store: ArtifactStore, log: Logger) =>
        new RunRecords(store, (message, fields) => log.warn(message, fields)),
      inject: [STORE, LOGGER],
    },
    RunOutbox,
    {
      provide: RunTrackings,
      useFactory: (store: ArtifactStore, log: Logger) =>
        new RunTrackings(store, (runId, message) => log.warn(message, { runId })),
      inject: [STORE, LOGGER],
    },
    PipelineKafkaController,
    { provide: KAFKA_CONTROLLER, useExisting: PipelineKafkaController },
  ],
})
export class PipelineModule {}
