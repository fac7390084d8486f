import { Module } from '@nestjs/common';
import { KAFKA_CONTROLLER } from '@ftune/transport';
import { TokenizerGrpcController } from './tokenize.grpc.controller';
import { TokenizeKafkaController } from './tokenize.kafka.controller';

@Module({
  controllers: [TokenizerGrpcController],
  providers: [TokenizeKafkaController, { provide: KAFKA_CONTROLLER, useExisting: TokenizeKafkaController }],
})
export class TokenizeModule {}
