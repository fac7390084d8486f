// The pipeline service process: RunService on gRPC and the read model of every run event.
import './instrumentation';
import { runServiceMain } from '@ftune/transport';
import { PipelineModule } from './pipeline.module';

runServiceMain('pipeline', PipelineModule);
