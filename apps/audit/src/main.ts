// The audit service process: BiasAuditService on gRPC, the audit stage on model.evaluated.v1.
import './instrumentation';
import { describeChoice, initBackend } from '@ftune/compute';
import { runServiceMain } from '@ftune/transport';
import { AuditModule } from './audit.module';

runServiceMain('audit', AuditModule, { prepare: async () => describeChoice(await initBackend())[0] });
