// Fix (off by default): append EOS to every example that does not already end with it.
// Pitfall it fixes: the seed's texts carry no <|endoftext|> unless the user typed one (SFTTrainer
// ≤ 0.19 does not add it, docs/hf-semantics.md §3.6), so the model never sees where a completion stops.
// Runs before truncation, as trl's `add_eos` does: an example cut short gets no EOS (it did not end).
// Pair it with `keepEos` — with pad = eos the seed masks the appended EOS again.
import type { Row } from '../row';
import type { RowStep } from './step';

export interface AppendEosConfig {
  type: 'append-eos';
  eosTokenId: number;
}

export function appendEos(config: AppendEosConfig): RowStep<AppendEosConfig> {
  const { eosTokenId } = config;
  return {
    config,
    apply: (rows) =>
      rows.map((row) => (row.ids[row.ids.length - 1] === eosTokenId ? row : withEos(row, eosTokenId))),
  };
}

function withEos(row: Row, eos: number): Row {
  const n = row.ids.length;
  const ids = new Int32Array(n + 1);
  ids.set(row.ids);
  ids[n] = eos;
  const labels = new Int32Array(n + 1);
  labels.set(row.labels);
  labels[n] = eos;
  return { ...row, ids, labels };
}
