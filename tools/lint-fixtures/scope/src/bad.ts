// Deliberately wrong: a data-layer domain library importing the pipeline. The type rule allows it
// (both are type:domain); the scope rule must not. tools/workspace-checks proves lint rejects this file.
import * as pipeline from '@ftune/pipeline';

export const leaked = pipeline;
