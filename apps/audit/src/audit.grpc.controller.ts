// BiasAuditService. The audits of a run happen in the audit stage (Kafka); the ad-hoc RPCs answer
// UNIMPLEMENTED until @ftune/bias-audit offers one-call dataset and model audits to map them onto.
import { status } from '@grpc/grpc-js';
import { Controller } from '@nestjs/common';
import { audit } from '@ftune/proto';
import { GrpcError } from '@ftune/transport';

@Controller()
@audit.BiasAuditServiceControllerMethods()
export class BiasAuditGrpcController implements audit.BiasAuditServiceController {
  auditDataset(): audit.AuditDatasetResponse {
    throw new GrpcError(
      status.UNIMPLEMENTED,
      'AuditDataset: not available yet; the audit stage of a run audits its dataset',
    );
  }

  auditModel(): audit.AuditModelResponse {
    throw new GrpcError(
      status.UNIMPLEMENTED,
      'AuditModel: not available yet; the audit stage of a run audits its model',
    );
  }
}
