// The evaluate service process: EvaluationService on gRPC, the evaluate stage on model.trained.v1.
import './instrumentation';
import { describeChoice, initBackend } from '@ftune/compute';
import { runServiceMain } from '@ftune/transport';
import { EvaluateModule } from './evaluate.module';

runServiceMain('evaluate', EvaluateModule, { prepare: async () => describeChoice(await initBackend())[0] });
