// Nested settings (a run config, training arguments) as the flat key → value params MLflow stores:
// `training.learningRate` → 5e-5, arrays as JSON (`dataset.split` → [0.8,0.1,0.1]); unset values left out.
export function flattenParams(value: unknown, prefix = ''): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  const visit = (v: unknown, key: string): void => {
    if (v === undefined || v === null) return;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      out[key] = v;
    } else if (Array.isArray(v)) {
      out[key] = JSON.stringify(v);
    } else if (typeof v === 'object') {
      for (const [k, child] of Object.entries(v as Record<string, unknown>))
        visit(child, key ? `${key}.${k}` : k);
    }
  };
  visit(value, prefix);
  return out;
}
