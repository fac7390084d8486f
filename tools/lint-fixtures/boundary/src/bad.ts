// Deliberately wrong: a domain library importing generated proto code breaks the module-boundary
// rule. tools/workspace-checks proves that lint still rejects this file.
import * as proto from '@ftune/proto';

export const leaked = proto;
