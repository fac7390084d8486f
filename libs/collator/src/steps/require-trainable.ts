// Fix (off by default): report or drop rows that have no trainable token left.
// Pitfall it fixes: when truncation cuts a completion away but leaves its response template (or the
// template ends the text), the seed raises no warning at all and silently spends a row of the batch on
// nothing; when it cuts the template, the only hint is a generic "could not find" warning.
import type { Row } from '../row';
import type { WarningSink } from '../warnings';
import type { RowStep } from './step';
import { IGNORE_INDEX } from '../labels';

export interface RequireTrainableConfig {
  type: 'require-trainable';
  /** 'report' warns and keeps the row; 'drop' warns and removes it from the batch. */
  action: 'report' | 'drop';
  /** The completion step's ignore index, if not -100. */
  ignoreIndex?: number;
}

export function requireTrainable(config: RequireTrainableConfig): RowStep<RequireTrainableConfig> {
  const { action, ignoreIndex = IGNORE_INDEX } = config;
  return {
    config,
    apply(rows, warn) {
      return rows.filter((row) => {
        if (hasTrainable(row, ignoreIndex)) return true;
        report(row, action, warn);
        return action === 'report';
      });
    },
  };
}

export function hasTrainable(row: Row, ignoreIndex: number): boolean {
  for (let i = 0; i < row.labels.length; i++) {
    const label = row.labels[i];
    if (label !== IGNORE_INDEX && label !== ignoreIndex) return true;
  }
  return false;
}

function report(row: Row, action: 'report' | 'drop', warn: WarningSink): void {
  const why = row.truncated ? 'truncation cut its completion away' : 'nothing follows its response template';
  warn({
    code: 'no-trainable-tokens',
    example: row.name,
    message: `${row.name} has no trainable tokens (${why})${action === 'drop' ? '; dropped from the batch' : ''}`,
  });
}
