// The tokenize service process: TokenizerService on gRPC, the tokenize stage on dataset.ingested.v1.
import './instrumentation';
import { runServiceMain } from '@ftune/transport';
import { TokenizeModule } from './tokenize.module';

runServiceMain('tokenize', TokenizeModule);
