// Every run event → the run's record (the read model WatchRun and GetRun answer from).
import { Inject, Injectable } from '@nestjs/common';
import { ALL_TOPICS, type EventByTopic, type Topic } from '@ftune/contracts';
import { OnEvent, RunRecords, type EventMeta } from '@ftune/transport';

@Injectable()
export class PipelineKafkaController {
  constructor(@Inject(RunRecords) private readonly records: RunRecords) {}

  @OnEvent(...ALL_TOPICS)
  async onRunEvent(event: EventByTopic[Topic], meta: EventMeta): Promise<void> {
    this.records.apply(meta.topic, event);
  }
}
