import { Module } from '@nestjs/common';
import { KAFKA_CONTROLLER, STORE, RunRecords } from '@ftune/transport';
import type { ArtifactStore } from '@ftune/storage';
import { RunGrpcController } from './pipeline.grpc.controller';
import { PipelineKafkaController } from './pipeline.kafka.controller';

@Module({
  controllers: [RunGrpcController],
  providers: [
    { provide: RunRecords, useFactory: (store: ArtifactStore) => new RunRecords(store), inject: [STORE] },
    PipelineKafkaController,
    { provide: KAFKA_CONTROLLER, useExisting: PipelineKafkaController },
  ],
})
export class PipelineModule {}
