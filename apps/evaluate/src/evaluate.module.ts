import { Module } from '@nestjs/common';
import { KAFKA_CONTROLLER } from '@ftune/transport';
import { EvaluationGrpcController } from './evaluate.grpc.controller';
import { EvaluateKafkaController } from './evaluate.kafka.controller';

@Module({
  controllers: [EvaluationGrpcController],
  providers: [EvaluateKafkaController, { provide: KAFKA_CONTROLLER, useExisting: EvaluateKafkaController }],
})
export class EvaluateModule {}
