import { Module } from '@nestjs/common';
import type { ArtifactStore } from '@ftune/storage';
import { createJobRunner, JOB_RUNNER } from '@ftune/train-jobs';
import { KAFKA_CONTROLLER, LOGGER, PRODUCER, STORE, type EventProducer, type Logger } from '@ftune/transport';
import { TrainingGrpcController } from './train.grpc.controller';
import { TrainKafkaController } from './train.kafka.controller';
import { TrainJobs } from './train-jobs.service';

@Module({
  controllers: [TrainingGrpcController],
  providers: [
    {
      provide: JOB_RUNNER,
      useFactory: (store: ArtifactStore, producer: EventProducer, log: Logger) =>
        createJobRunner(store, producer, log),
      inject: [STORE, PRODUCER, LOGGER],
    },
    TrainJobs,
    TrainKafkaController,
    { provide: KAFKA_CONTROLLER, useExisting: TrainKafkaController },
  ],
})
export class TrainModule {}
