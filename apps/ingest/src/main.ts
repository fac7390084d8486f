// The ingest service process: DatasetService on gRPC, the ingest stage on run.requested.v1.
import './instrumentation';
import { runServiceMain } from '@ftune/transport';
import { IngestModule } from './ingest.module';

runServiceMain('ingest', IngestModule);
