// model.evaluated.v1 → the audit stage of @ftune/pipeline → model.audited.v1, then the run's end:
// run.completed.v1 (the audit is the last stage).
import { Inject, Injectable } from '@nestjs/common';
import { newEnvelope, Topics, type ModelEvaluated } from '@ftune/contracts';
import { auditStage, type StageRunner } from '@ftune/pipeline';
import { OnEvent, PRODUCER, STAGE_RUNNER, type EventMeta, type EventProducer } from '@ftune/transport';

@Injectable()
export class AuditKafkaController {
  constructor(
    @Inject(STAGE_RUNNER) private readonly stages: StageRunner,
    @Inject(PRODUCER) private readonly producer: EventProducer,
  ) {}

  @OnEvent(Topics.modelEvaluated)
  async onModelEvaluated(event: ModelEvaluated, meta: EventMeta): Promise<void> {
    const audited = await this.stages.run(auditStage, event, meta);
    if (!audited) return;
    await this.producer.publish(Topics.runCompleted, {
      ...newEnvelope(event.runId),
      status: 'succeeded',
      runDir: `runs/${event.runId}`,
      auditPassed: audited.passed,
    });
  }
}
