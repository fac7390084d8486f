// Which parameters get weight decay, decided by Hugging Face parameter name as transformers'
// `get_decay_parameter_names` does: biases and normalization weights are excluded. Without module
// types we recognise LayerNorm modules by name (GPT-2/GPT-Neo `ln_1`, `ln_2`, `ln_f`, and `*layernorm*`).

const EXCLUDED_PATTERNS: readonly RegExp[] = [
  /bias/,
  /layernorm/,
  /rmsnorm/,
  /(?:^|\.)norm(?:$|\.)/,
  /_norm(?:$|\.)/,
  /(?:^|\.)ln_[^.]*\./, // GPT-2 / GPT-Neo LayerNorm modules
];

/** True when the parameter named `name` gets weight decay. */
export function isDecayed(name: string): boolean {
  const lower = name.toLowerCase();
  return !EXCLUDED_PATTERNS.some((p) => p.test(lower));
}
