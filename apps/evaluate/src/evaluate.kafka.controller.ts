// model.trained.v1 → the evaluate stage of @ftune/pipeline → model.evaluated.v1.
import { Inject, Injectable } from '@nestjs/common';
import { Topics, type ModelTrained } from '@ftune/contracts';
import { evaluateStage, type StageRunner } from '@ftune/pipeline';
import { OnEvent, STAGE_RUNNER, type EventMeta } from '@ftune/transport';

@Injectable()
export class EvaluateKafkaController {
  constructor(@Inject(STAGE_RUNNER) private readonly stages: StageRunner) {}

  @OnEvent(Topics.modelTrained)
  async onModelTrained(event: ModelTrained, meta: EventMeta): Promise<void> {
    await this.stages.run(evaluateStage, event, meta);
  }
}
