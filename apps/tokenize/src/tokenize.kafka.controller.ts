// dataset.ingested.v1 → the tokenize stage of @ftune/pipeline → dataset.tokenized.v1.
import { Inject, Injectable } from '@nestjs/common';
import { Topics, type DatasetIngested } from '@ftune/contracts';
import { tokenizeStage, type StageRunner } from '@ftune/pipeline';
import { OnEvent, STAGE_RUNNER, type EventMeta } from '@ftune/transport';

@Injectable()
export class TokenizeKafkaController {
  constructor(@Inject(STAGE_RUNNER) private readonly stages: StageRunner) {}

  @OnEvent(Topics.datasetIngested)
  async onDatasetIngested(event: DatasetIngested, meta: EventMeta): Promise<void> {
    await this.stages.run(tokenizeStage, event, meta);
  }
}
