// run.requested.v1 → the ingest stage of @ftune/pipeline → dataset.ingested.v1.
import { Inject, Injectable } from '@nestjs/common';
import { Topics, type RunRequested } from '@ftune/contracts';
import { ingestStage, type StageRunner } from '@ftune/pipeline';
import { OnEvent, STAGE_RUNNER, type EventMeta } from '@ftune/transport';

@Injectable()
export class IngestKafkaController {
  constructor(@Inject(STAGE_RUNNER) private readonly stages: StageRunner) {}

  @OnEvent(Topics.runRequested)
  async onRunRequested(event: RunRequested, meta: EventMeta): Promise<void> {
    await this.stages.run(ingestStage, event, meta);
  }
}
