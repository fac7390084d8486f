// The train service process: TrainingService on gRPC, training jobs for dataset.tokenized.v1.
import './instrumentation';
import { runServiceMain } from '@ftune/transport';
import { TrainModule } from './train.module';

runServiceMain('train', TrainModule);
