import { Module } from '@nestjs/common';
import { KAFKA_CONTROLLER } from '@ftune/transport';
import { DatasetGrpcController } from './ingest.grpc.controller';
import { IngestKafkaController } from './ingest.kafka.controller';

@Module({
  controllers: [DatasetGrpcController],
  providers: [IngestKafkaController, { provide: KAFKA_CONTROLLER, useExisting: IngestKafkaController }],
})
export class IngestModule {}
