// A step transforms the rows of one batch before they are laid out (padded, packed or flattened).
import type { Row } from '../row';
import type { WarningSink } from '../warnings';

export interface RowStep<C extends { type: string } = { type: string }> {
  /** The data this step was built from (fromConfig(config) rebuilds it). */
  readonly config: C;
  apply(rows: Row[], warn: WarningSink): Row[];
}
