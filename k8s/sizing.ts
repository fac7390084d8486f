// The arithmetic behind the chart's training sizes (values.yaml training.sizes; docs/deployment.md, "Sizing the
// training Job"): float32 weights, gradients and AdamW moments, activations and logits at the run's default batch
// (16 examples of 128 tokens), for GPT-Neo 125M, 1.3B and 2.7B trained in full or with LoRA r 8 on q_proj and
// v_proj plus gradient checkpointing. chart.spec.ts checks that values.yaml holds exactly these rows.

const GiB = 2 ** 30;

/** GPT-Neo shapes (Hugging Face configs): hidden C, layers L, heads H; vocabulary 50,257, 2,048 positions. */
export const MODELS = {
  'gpt-neo-125m': { C: 768, L: 12, H: 12 },
  'gpt-neo-1.3b': { C: 2048, L: 24, H: 16 },
  'gpt-neo-2.7b': { C: 2560, L: 32, H: 20 },
} as const;
const V = 50257;
const POSITIONS = 2048;

/** The batch the rows are sized for: the run's defaults (training.batchSize 16, collation maxLength 128). */
export const BATCH = { b: 16, s: 128 };
export const LORA_RANK = 8;
/** The float32 runtime (node, TensorFlow, the tokenizer, the data) beside the model, from the CPU benchmarks. */
const RUNTIME_GIB = 2;

export interface SizeRow {
  gpus: number;
  /** Device memory the Job's GPU must have (a node-affinity floor on nvidia.com/gpu.memory). */
  gpuMemoryGiB: number;
  /** Host memory when training on a GPU (the model passes through host memory once, one tensor at a time). */
  memory: { request: string; limit: string };
  /** Host memory when training on the CPU (gpu.enabled false): everything below lives there. */
  cpuMemory: { request: string; limit: string };
}

export function parameters(m: { C: number; L: number }): { total: number; adapters: number } {
  const { C, L } = m;
  const F = 4 * C;
  const perBlock = 4 * C * C + C + 2 * C * F + F + C + 4 * C; // q, k, v, out_proj (+ bias), c_fc, c_proj, two LNs
  return { total: L * perBlock + V * C + POSITIONS * C + 2 * C, adapters: L * 2 * LORA_RANK * 2 * C }; // A and B on q, v
}

/** Bytes the training step holds on its device, by part. */
export function deviceBytes(model: keyof typeof MODELS, method: 'full' | 'lora'): { state: number; activations: number; logits: number } {
  const m = MODELS[model];
  const { total: P, adapters } = parameters(m);
  const { b, s } = BATCH;
  // One block's activations in float32: ~17 tensors of (b, s, C) and the (b, H, s, s) scores and probabilities
  // (GPT-Neo's local layers still materialise the full s × s scores).
  const block = 4 * b * s * (17 * m.C + 2 * m.H * s);
  const logits = 3 * 4 * b * s * V; // logits, log-softmax, their gradient
  if (method === 'full') return { state: 16 * P, activations: m.L * block, logits }; // weights, grads, AdamW m and v
  // Frozen float32 base; adapters with their gradients and moments; with checkpointing each block keeps its
  // input and one block at a time is recomputed.
  return { state: 4 * P + 16 * adapters, activations: m.L * 4 * b * s * m.C + block, logits };
}

const gi = (bytes: number): string => `${Math.ceil(bytes / GiB)}Gi`;

export function sizeRow(model: keyof typeof MODELS, method: 'full' | 'lora'): SizeRow {
  const d = deviceBytes(model, method);
  const need = d.state + d.activations + d.logits;
  const weights = 4 * parameters(MODELS[model]).total;
  return {
    gpus: 1, // ftune trains on one device; the size picks how large a GPU, not how many
    gpuMemoryGiB: Math.ceil((1.25 * need) / GiB), // the allocator's slack
    memory: { request: gi(weights + RUNTIME_GIB * GiB), limit: gi(2 * weights + RUNTIME_GIB * GiB) },
    cpuMemory: { request: gi(2 * need + RUNTIME_GIB * GiB), limit: gi(3 * need + RUNTIME_GIB * GiB) },
  };
}

/** Every row, keyed as values.yaml's training.sizes: <model>-<full|lora>. */
export function sizeTable(): Record<string, SizeRow> {
  const rows: Record<string, SizeRow> = {};
  for (const model of Object.keys(MODELS) as Array<keyof typeof MODELS>) {
    for (const method of ['full', 'lora'] as const) rows[`${model}-${method}`] = sizeRow(model, method);
  }
  return rows;
}
