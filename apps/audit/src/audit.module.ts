import { Module } from '@nestjs/common';
import { KAFKA_CONTROLLER } from '@ftune/transport';
import { BiasAuditGrpcController } from './audit.grpc.controller';
import { AuditKafkaController } from './audit.kafka.controller';

@Module({
  controllers: [BiasAuditGrpcController],
  providers: [AuditKafkaController, { provide: KAFKA_CONTROLLER, useExisting: AuditKafkaController }],
})
export class AuditModule {}
