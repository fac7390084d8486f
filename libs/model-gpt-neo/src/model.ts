// GPT-Neo causal language model (GPTNeoForCausalLM) on @tensorflow/tfjs-core ops only, nanoGPT style.
// Follows Hugging Face transformers 4.53 modeling_gpt_neo.py with eager attention: pre-LN blocks, q/k/v without
// bias, no 1/sqrt(D) score scaling, global (causal) and local (sliding window) layers, gelu_new, lm_head tied to wte.
// Not here: weight files (io.ts), sampling rules (sampling.ts), head masks, token_type_ids, untied heads.
// Packed rows (segment ids) attend per segment in length buckets (packed-layout.ts), not over the whole row.
//
// Dimension letters used in shape comments:
//   B batch rows, T query positions in this call, S key positions (past cache + T), N = B·T flattened rows,
//   C hidden size, H heads, D head dim = C / H, F MLP inner size, V vocabulary size, P max positions.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // tfjs-core alone registers no op gradients
import { IGNORE_INDEX } from '@ftune/collator';
import { UserError } from '@ftune/common';
import { type GPTNeoConfig, validateConfig } from './config';
import { LoraAdapters, type LoraConfig } from './lora';
import { attentionSoftmax } from './ops/attention-softmax';
import { crossEntropyAndArgmax } from './ops/cross-entropy';
import { embedding } from './ops/embedding';
import { linear, matmul } from './ops/matmul';
import { gelu, layerNorm } from './ops/norm-gelu';
import { packedLayout } from './packed-layout';
import { Rng, streamSeed } from './random';
import { type GenerateOptions, pickNextToken, validateGenerateOptions } from './sampling';

/** One batch as the collator makes it (structurally the trainer's CollatedBatch); arrays are B·T row-major. */
export interface GPTNeoBatch {
  batchSize: number; // B
  seqLen: number; // T
  inputIds: Int32Array;
  /** 1 = real token, 0 = padding (either side). Absent = all real. */
  attentionMask?: Int32Array;
  /** Next-token targets as in HF: labels[t] is predicted at position t − 1; −100 = ignored. */
  labels?: Int32Array;
  /** Explicit positions (packed rows); absent = derived from the mask (left padding) or 0..T−1. */
  positionIds?: Int32Array;
  /** Packed rows: example index within the row; attention never crosses segments. */
  segmentIds?: Int32Array;
  /** Per-row loss weights (B); absent = all 1. */
  exampleWeights?: Float32Array;
  /** Per-label loss weights (B·T), packed rows; wins over exampleWeights. */
  tokenWeights?: Float32Array;
}

export interface LossTerms {
  lossSum: tf.Scalar; // Σ over trainable tokens of example weight × cross-entropy
  tokens: tf.Scalar; // number of trainable tokens (float32)
  correct: tf.Scalar; // trainable tokens whose argmax prediction equals the label
}

export { IGNORE_INDEX };
const MASKED = -3.4028234663852886e38; // finfo(float32).min, as HF fills disallowed scores

// ---------------------------------------------------------------------------------------------------------------
// Parameters: Hugging Face names and shapes. Linear weights are stored [out, in] by HF and kept [in, out] here
// (y = x · W), so the forward pass needs no transpose; io.ts transposes when reading and writing.

export type ParamKind = 'embedding' | 'linear' | 'bias' | 'norm_weight' | 'norm_bias';
export interface ParamSpec {
  name: string; // HF state-dict name
  hfShape: number[]; // shape in HF files
  kind: ParamKind;
}

export function parameterSpecs(c: GPTNeoConfig): ParamSpec[] {
  const C = c.hiddenSize;
  const F = c.intermediateSize;
  const specs: ParamSpec[] = [
    { name: 'transformer.wte.weight', hfShape: [c.vocabSize, C], kind: 'embedding' },
    { name: 'transformer.wpe.weight', hfShape: [c.maxPositionEmbeddings, C], kind: 'embedding' },
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `transformer.h.${i}`;
    specs.push(
      { name: `${p}.ln_1.weight`, hfShape: [C], kind: 'norm_weight' },
      { name: `${p}.ln_1.bias`, hfShape: [C], kind: 'norm_bias' },
      { name: `${p}.attn.attention.k_proj.weight`, hfShape: [C, C], kind: 'linear' },
      { name: `${p}.attn.attention.v_proj.weight`, hfShape: [C, C], kind: 'linear' },
      { name: `${p}.attn.attention.q_proj.weight`, hfShape: [C, C], kind: 'linear' },
      { name: `${p}.attn.attention.out_proj.weight`, hfShape: [C, C], kind: 'linear' },
      { name: `${p}.attn.attention.out_proj.bias`, hfShape: [C], kind: 'bias' },
      { name: `${p}.ln_2.weight`, hfShape: [C], kind: 'norm_weight' },
      { name: `${p}.ln_2.bias`, hfShape: [C], kind: 'norm_bias' },
      { name: `${p}.mlp.c_fc.weight`, hfShape: [F, C], kind: 'linear' },
      { name: `${p}.mlp.c_fc.bias`, hfShape: [F], kind: 'bias' },
      { name: `${p}.mlp.c_proj.weight`, hfShape: [C, F], kind: 'linear' },
      { name: `${p}.mlp.c_proj.bias`, hfShape: [C], kind: 'bias' },
    );
  }
  specs.push(
    { name: 'transformer.ln_f.weight', hfShape: [C], kind: 'norm_weight' },
    { name: 'transformer.ln_f.bias', hfShape: [C], kind: 'norm_bias' },
  );
  return specs;
}

/** Shape of a parameter as held by the model ([in, out] for Linear weights). */
export function internalShape(spec: ParamSpec): number[] {
  return spec.kind === 'linear' ? [spec.hfShape[1], spec.hfShape[0]] : spec.hfShape;
}

/** Initial values as HF `_init_weights`: Linear/Embedding ~ N(0, initializer_range²), biases 0, LayerNorm 1 / 0. */
export function initialValues(spec: ParamSpec, c: GPTNeoConfig, seed: number): Float32Array {
  const size = spec.hfShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  if (spec.kind === 'norm_weight') values.fill(1);
  if (spec.kind === 'embedding' || spec.kind === 'linear') {
    new Rng(streamSeed(seed, spec.name)).fillNormal(values, 0, c.initializerRange); // i.i.d.: layout-independent
  }
  return values;
}

// ---------------------------------------------------------------------------------------------------------------
// Attention layout: positions and additive masks built once per call from the batch.

interface Layout {
  B: number;
  T: number;
  S: number; // keys incl. past
  positions: Int32Array; // (B·T)
  /** Dense attention (every batch but packed rows). */
  biasGlobal?: tf.Tensor; // (B, 1, T, S): 0 where allowed, finfo.min or −∞ elsewhere
  biasLocal?: tf.Tensor; // (B, 1, T, S)
  /** Packed rows: attention per segment, in length buckets (./packed-layout.ts). */
  packed?: {
    buckets: Array<{ n: number; L: number; index: tf.Tensor; biasGlobal: tf.Tensor; biasLocal: tf.Tensor }>;
    scatter: tf.Tensor; // (B·T) int32
  };
}

/** The tensors a layout holds (masks, packed indices), in a fixed order. */
function layoutTensors(L: Layout): tf.Tensor[] {
  const dense = L.biasGlobal && L.biasLocal ? [L.biasGlobal, L.biasLocal] : [];
  const packed = L.packed ? [...L.packed.buckets.flatMap((b) => [b.index, b.biasGlobal, b.biasLocal]), L.packed.scatter] : [];
  return [...dense, ...packed];
}

/** The layout with its tensors replaced, in layoutTensors' order (copies kept for a backward pass). */
function withLayoutTensors(L: Layout, tensors: tf.Tensor[]): Layout {
  const next = [...tensors];
  const take = (): tf.Tensor => next.shift() as tf.Tensor;
  const out: Layout = { ...L };
  if (L.biasGlobal && L.biasLocal) [out.biasGlobal, out.biasLocal] = [take(), take()];
  if (L.packed) {
    const buckets = L.packed.buckets.map((b) => ({ ...b, index: take(), biasGlobal: take(), biasLocal: take() }));
    out.packed = { buckets, scatter: take() };
  }
  return out;
}

/** Positions: explicit ids; else per row, real tokens count up from 0 after any left padding (HF generation's
 *  cumsum(mask) − 1), restarting at each segment; right-padding slots continue 0..T−1 as HF's default. */
export function derivePositions(B: number, T: number, mask: Int32Array | undefined, segments?: Int32Array): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let seen = 0;
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      if (segments && t > 0 && segments[i] !== segments[i - 1]) seen = 0;
      const real = !mask || mask[i] === 1;
      pos[i] = real ? seen : seen === 0 ? 1 : t;
      if (real) seen++;
    }
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------------------------

/** Key/value cache of one layer: (B, H, S, D) each. */
interface LayerCache {
  k: tf.Tensor;
  v: tf.Tensor;
}

export class GPTNeoModel {
  readonly config: GPTNeoConfig;
  /** '' for the first live model, 'model2/' etc. for further models alive at the same time. */
  readonly variablePrefix: string;
  private readonly params = new Map<string, tf.Variable>();
  private lora: LoraAdapters | null = null;
  /** While a checkpointed block runs: the seeds of its dropout masks, the same in the forward and backward pass. */
  private dropoutSeeds: Rng | null = null;
  /** Recompute each block's activations in the backward pass instead of keeping them (training only). */
  gradientCheckpointing = false;

  /** Builds the model from one tensor per parameter in internal layout (ownership passes to the model). */
  constructor(config: GPTNeoConfig, valueOf: (spec: ParamSpec) => tf.Tensor) {
    validateConfig(config);
    this.config = config;
    const taken = (prefix: string) => tf.engine().registeredVariables[`${prefix}transformer.wte.weight`] !== undefined;
    let k = 1;
    while (taken(k === 1 ? '' : `model${k}/`)) k++;
    this.variablePrefix = k === 1 ? '' : `model${k}/`;
    for (const spec of parameterSpecs(config)) {
      let value: tf.Tensor;
      try {
        value = valueOf(spec);
      } catch (e) {
        this.dispose();
        throw e;
      }
      const want = internalShape(spec);
      if (value.shape.join() !== want.join()) {
        value.dispose();
        this.dispose();
        throw new UserError(`${spec.name}: shape [${value.shape}] does not match the config's [${want}]`);
      }
      this.params.set(spec.name, tf.variable(value, true, this.variablePrefix + spec.name));
      value.dispose(); // the variable holds its own reference
    }
  }

  /**
   * What training updates: every parameter, or with LoRA adapters attached only the adapters' A and B (the base
   * frozen). A parameter variable's name is its Hugging Face name (Linear weights held [in, out]); an adapter's is
   * PEFT's file key. tfjs needs variable names to be unique, so while another model holds those names, a second
   * model's names get the prefix `model2/` (`model3/`, …); `hfName()` strips it.
   */
  get trainableVariables(): tf.Variable[] {
    return this.lora ? [...this.lora.variables, ...this.trainedBiases()] : [...this.params.values()];
  }

  /** With LoRA's bias 'all' or 'lora_only', the base biases trained beside the adapters. */
  trainedBiases(): tf.Variable[] {
    const lora = this.lora;
    return lora ? [...this.params].filter(([name]) => lora.trainsBias(name)).map(([, v]) => v) : [];
  }

  /** Number of values in the base parameters (the tied head counted once) plus any adapters. */
  parameterCount(): { total: number; trainable: number } {
    const count = (vs: Iterable<tf.Variable>) => [...vs].reduce((n, v) => n + v.size, 0);
    const base = count(this.params.values());
    const adapters = this.lora ? count(this.lora.variables) : 0;
    return { total: base + adapters, trainable: this.lora ? adapters + count(this.trainedBiases()) : base };
  }

  /** The attached LoRA adapters, or null. */
  get adapters(): LoraAdapters | null {
    return this.lora;
  }

  /**
   * Attaches LoRA adapters (fresh from `seed` as PEFT initialises them, or the given ones, which must be built for
   * this model's prefix) and freezes the base parameters. A model carries one adapter at a time.
   */
  attachLora(adapters: LoraConfig | LoraAdapters, seed = 0): LoraAdapters {
    if (this.lora) throw new Error('this model already carries LoRA adapters');
    this.lora = adapters instanceof LoraAdapters ? adapters : LoraAdapters.fresh(this.config, adapters, this.variablePrefix, seed);
    for (const [name, v] of this.params) v.trainable = this.lora.trainsBias(name);
    return this.lora;
  }

  /** Folds the adapters into the base weights (W ← W + s·A·B), drops them and unfreezes the base. */
  mergeLora(): void {
    const lora = this.lora;
    if (!lora) throw new Error('this model carries no LoRA adapters');
    for (const { module } of lora.layers) {
      const w = this.param(`${module.path}.weight`);
      tf.tidy(() => w.assign(tf.add(w, lora.weightDelta(module.path))));
    }
    lora.dispose();
    this.lora = null;
    for (const v of this.params.values()) v.trainable = true;
  }

  /** The Hugging Face name of one of this model's variables. */
  hfName(variable: tf.Variable): string {
    return variable.name.startsWith(this.variablePrefix) ? variable.name.slice(this.variablePrefix.length) : variable.name;
  }

  /** A parameter by its HF name. */
  param(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`GPT-Neo has no parameter ${name}`);
    return v;
  }

  dispose(): void {
    this.lora?.dispose();
    this.lora = null;
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }

  // -------------------------------------------------------------------------------------------------------------
  // Forward pass

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    return layerNorm(x, this.param(`${prefix}.weight`), this.param(`${prefix}.bias`), this.config.layerNormEpsilon);
  }

  /** A Linear layer (weight [in, out], optional bias) plus its LoRA adapter's update when it has one. */
  private project(x: tf.Tensor, module: string, training: boolean, bias = false): tf.Tensor {
    const y = linear(x, this.param(`${module}.weight`), bias ? this.param(`${module}.bias`) : undefined);
    const delta = this.lora?.delta(x, module, (input, rate) => this.dropout(input, rate, training));
    return delta ? tf.add(y, delta) : y;
  }

  private dropout(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
    if (!(training && rate > 0)) return x;
    return this.dropoutSeeds ? tf.dropout(x, rate, undefined, this.dropoutSeeds.int(2 ** 31)) : tf.dropout(x, rate);
  }

  /** (N, C) → (B, H, T, D) */
  private splitHeads(x: tf.Tensor, B: number, T: number): tf.Tensor {
    const { numHeads: H, hiddenSize: C } = this.config;
    const heads = tf.reshape(x, [B, T, H, C / H]); // (B, T, H, D)
    return tf.transpose(heads, [0, 2, 1, 3]); // (B, H, T, D)
  }

  private attention(x: tf.Tensor, i: number, L: Layout, training: boolean, cache?: LayerCache[]): tf.Tensor {
    const p = `transformer.h.${i}.attn.attention`;
    const qx = this.project(x, `${p}.q_proj`, training); // (N, C)
    const kx = this.project(x, `${p}.k_proj`, training); // (N, C)
    const vx = this.project(x, `${p}.v_proj`, training); // (N, C)
    const merged = L.packed ? this.packedContext(qx, kx, vx, i, L.packed, training) : this.denseContext(qx, kx, vx, i, L, training, cache);
    const out = this.project(merged, `${p}.out_proj`, training, true); // (N, C)
    return this.dropout(out, this.config.residDropout, training);
  }

  /** Scores, softmax and context of (B, H, T, S) attention under the layout's biases: (N, C). */
  private denseContext(qx: tf.Tensor, kx: tf.Tensor, vx: tf.Tensor, i: number, L: Layout, training: boolean, cache?: LayerCache[]): tf.Tensor {
    const { B, T } = L;
    const q = this.splitHeads(qx, B, T); // (B, H, T, D)
    let k = this.splitHeads(kx, B, T); // (B, H, T, D)
    let v = this.splitHeads(vx, B, T); // (B, H, T, D)
    if (cache) {
      const past = cache[i];
      if (past) {
        k = tf.concat([past.k, k], 2); // (B, H, S, D)
        v = tf.concat([past.v, v], 2); // (B, H, S, D)
      }
      cache[i] = { k, v };
    }
    // Unscaled scores in float32, then the structural + padding mask (GPT-Neo does not divide by sqrt(D)).
    const bias = this.config.attentionLayers[i] === 'local' ? L.biasLocal : L.biasGlobal;
    const scores = matmul(q, k, false, true); // (B, H, T, D) · (B, H, S, D)ᵀ → (B, H, T, S)
    const probs = this.dropout(attentionSoftmax(scores, bias as tf.Tensor), this.config.attentionDropout, training); // (B, H, T, S)
    const context = tf.transpose(matmul(probs, v), [0, 2, 1, 3]); // (B, H, T, D) → (B, T, H, D)
    return tf.reshape(context, [B * T, this.config.hiddenSize]); // (N, C)
  }

  /** The same per segment of packed rows, bucket by bucket, back in flat order: (N, C). */
  private packedContext(qx: tf.Tensor, kx: tf.Tensor, vx: tf.Tensor, i: number, packed: NonNullable<Layout['packed']>, training: boolean): tf.Tensor {
    const { numHeads: H, hiddenSize: C } = this.config;
    const local = this.config.attentionLayers[i] === 'local';
    const contexts = packed.buckets.map(({ n, L, index, biasGlobal, biasLocal }) => {
      const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(embedding(x, index), [n, L, H, C / H]), [0, 2, 1, 3]); // (n, H, L, D)
      const scores = matmul(heads(qx), heads(kx), false, true); // (n, H, L, L)
      const probs = this.dropout(attentionSoftmax(scores, local ? biasLocal : biasGlobal), this.config.attentionDropout, training);
      const context = tf.transpose(matmul(probs, heads(vx)), [0, 2, 1, 3]); // (n, L, H, D)
      return tf.reshape(context, [n * L, C]); // (n·L, C)
    });
    contexts.push(tf.zeros([1, C])); // the output of slots outside any segment
    return embedding(tf.concat(contexts, 0), packed.scatter); // (N, C)
  }

  private mlp(x: tf.Tensor, i: number, training: boolean): tf.Tensor {
    const p = `transformer.h.${i}.mlp`;
    const h = gelu(this.project(x, `${p}.c_fc`, training, true)); // (N, F)
    const out = this.project(h, `${p}.c_proj`, training, true); // (N, C)
    return this.dropout(out, this.config.residDropout, training);
  }

  /** Token ids (N) → final hidden states after ln_f (N, C). */
  private hidden(ids: tf.Tensor, L: Layout, training: boolean, cache?: LayerCache[]): tf.Tensor {
    const positions = tf.tensor1d(L.positions, 'int32');
    const tok = embedding(this.param('transformer.wte.weight'), ids); // (N, C)
    const pos = embedding(this.param('transformer.wpe.weight'), positions); // (N, C)
    let x = this.dropout(tf.add(tok, pos), this.config.embedDropout, training); // (N, C)
    for (let i = 0; i < this.config.numLayers; i++) {
      x = this.gradientCheckpointing && training ? this.checkpointedBlock(x, i, L) : this.block(x, i, L, training, cache);
    }
    return this.layerNorm(x, 'transformer.ln_f');
  }

  /** One transformer block, pre-LN: x + attn(ln_1(x)), then + mlp(ln_2(·)): (N, C) → (N, C). */
  private block(x: tf.Tensor, i: number, L: Layout, training: boolean, cache?: LayerCache[]): tf.Tensor {
    const a = tf.add(x, this.attention(this.layerNorm(x, `transformer.h.${i}.ln_1`), i, L, training, cache));
    return tf.add(a, this.mlp(this.layerNorm(a, `transformer.h.${i}.ln_2`), i, training));
  }

  /**
   * A training block whose activations are not kept: the forward pass keeps only its input (and the layout's
   * masks), the backward pass runs the block again under its own tape and takes the gradients of the input and of
   * the block's trainable variables from there. Dropout draws from seeds fixed at the forward pass, so the second
   * run drops the same units. Memory: one block's activations at a time instead of every block's.
   */
  private checkpointedBlock(x: tf.Tensor, i: number, L: Layout): tf.Tensor {
    const prefix = `transformer.h.${i}.`;
    const variables = this.trainableVariables.filter((v) => this.hfName(v).replace(/^base_model\.model\./, '').startsWith(prefix));
    const seed = Math.floor(Math.random() * 2 ** 31);
    const run = (input: tf.Tensor, layout: Layout): tf.Tensor => {
      this.dropoutSeeds = new Rng(seed);
      try {
        return this.block(input, i, layout, true);
      } finally {
        this.dropoutSeeds = null;
      }
    };
    const masks = layoutTensors(L);
    const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
      const save = args[args.length - 1] as tf.GradSaveFunc;
      const input = args[0] as tf.Tensor;
      save([input, ...masks]);
      return {
        value: tf.tidy(() => run(input, L)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const layout = withLayoutTensors(L, saved.slice(1));
          // the variables are this block's own tensors, so the recomputed ops that read them are on the tape
          const grad = tf.grads((...xs: tf.Tensor[]) => run(xs[0], layout));
          // Workaround: tfjs-core 4.22 keeps one tape; a gradient taken inside a backward pass replaces it and
          // drops it when done, and the outer pass then fails cleaning it up. The outer tape is put back, and
          // the block's own tape is freed at once (its saved tensors do not wait for the whole backward pass).
          const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
          const outer = engine.state.activeTape;
          try {
            return grad([saved[0], ...variables], dy);
          } finally {
            engine.state.activeTape = outer;
          }
        },
      };
    });
    return f(x, ...variables);
  }

  /** Tied head: logits = h · wteᵀ, (N, C) → (N, V). */
  private head(h: tf.Tensor): tf.Tensor {
    return matmul(h, this.param('transformer.wte.weight'), false, true);
  }

  /** Validates ids and positions and builds the masks for a batch (past = cached keys, generation only). */
  private layout(batch: GPTNeoBatch, past = 0): Layout {
    const { batchSize: B, seqLen: T, inputIds, attentionMask, segmentIds } = batch;
    const { vocabSize: V, maxPositionEmbeddings: P, windowSize } = this.config;
    if (inputIds.length !== B * T) throw new Error(`batch: inputIds has ${inputIds.length} entries, expected B·T = ${B * T}`);
    for (const [name, arr] of [['attentionMask', attentionMask], ['labels', batch.labels], ['positionIds', batch.positionIds], ['segmentIds', segmentIds]] as const) {
      if (arr && arr.length !== B * T) throw new Error(`batch: ${name} has ${arr.length} entries, expected B·T = ${B * T}`);
    }
    for (let i = 0; i < inputIds.length; i++) {
      const id = inputIds[i];
      if (!(id >= 0 && id < V)) throw new UserError(`token id ${id} at row ${Math.floor(i / T)} is outside the vocabulary (0..${V - 1})`);
    }
    const positions = past > 0 ? Int32Array.from({ length: T }, (_, t) => past + t) : (batch.positionIds ?? derivePositions(B, T, attentionMask, segmentIds));
    for (const p of positions) {
      if (p < 0 || p >= P) throw new UserError(`position ${p} is beyond the model's ${P} positions (max_position_embeddings)`);
    }
    // Additive biases reproducing HF's where(structure, s, min) + padding mask(0 | min), min + min = −∞:
    // 0 = attend; MASKED (finfo.min) = a padding/other-segment key inside the structure, or a real key outside the
    // local window; −∞ = a future key, or a padding key outside the window. Only rows that see no real key (padding
    // slots) depend on the MASKED/−∞ split: they attend uniformly to their MASKED keys, exactly as HF does.
    if (segmentIds && past === 0) {
      const packed = packedLayout(B, T, segmentIds, attentionMask);
      return {
        B, T, S: T, positions,
        packed: {
          buckets: packed.buckets.map((b) => ({
            n: b.n,
            L: b.L,
            index: tf.tensor1d(b.index, 'int32'),
            biasGlobal: causalBias(b.L, -1), // (1, 1, L, L), shared by the bucket's n segments
            biasLocal: causalBias(b.L, windowSize - 1),
          })),
          scatter: tf.tensor1d(packed.scatter, 'int32'),
        },
      };
    }
    const S = past + T;
    const global = new Float32Array(B * T * S).fill(-Infinity);
    const local = new Float32Array(B * T * S).fill(-Infinity);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T; t++) {
        const qi = past + t; // absolute query index
        const row = (b * T + t) * S;
        for (let j = 0; j <= qi; j++) {
          const key = b * T + (j - past); // key j's slot in this batch (j ≥ past); cached keys are always real
          const hidden = j >= past && ((attentionMask && attentionMask[key] === 0) || (segmentIds && segmentIds[key] !== segmentIds[b * T + t]));
          global[row + j] = hidden ? MASKED : 0;
          if (qi - j < windowSize) local[row + j] = hidden ? MASKED : 0;
          else local[row + j] = hidden ? -Infinity : MASKED;
        }
      }
    }
    return {
      B, T, S, positions,
      biasGlobal: tf.tensor4d(global, [B, 1, T, S]), // (B, 1, T, S)
      biasLocal: tf.tensor4d(local, [B, 1, T, S]), // (B, 1, T, S)
    };
  }

  /** Logits for every position: (B, T, V). Call inside tf.tidy or dispose the result. */
  logits(batch: GPTNeoBatch, options: { training?: boolean } = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const L = this.layout(batch);
      const h = this.hidden(tf.tensor1d(batch.inputIds, 'int32'), L, options.training ?? false);
      return tf.reshape(this.head(h), [L.B, L.T, this.config.vocabSize]) as tf.Tensor3D; // (N, V) → (B, T, V)
    });
  }

  /**
   * Logits at the given flat positions b·T + t only: (M, V). The head, the model's largest product, runs on those
   * M rows alone. Call inside tf.tidy or dispose the result.
   */
  logitsAt(batch: GPTNeoBatch, positions: Int32Array): tf.Tensor2D {
    const N = batch.batchSize * batch.seqLen;
    for (const p of positions) {
      if (!(Number.isInteger(p) && p >= 0 && p < N)) throw new Error(`logitsAt: position ${p} is outside 0..${N - 1}`);
    }
    return tf.tidy(() => {
      const L = this.layout(batch);
      const h = this.hidden(tf.tensor1d(batch.inputIds, 'int32'), L, false); // (N, C)
      return this.head(embedding(h, tf.tensor1d(positions, 'int32'))) as tf.Tensor2D; // (M, C) → (M, V)
    });
  }

  /**
   * The positions that predict a trainable label (shifted labels, −100 and cross-segment pairs skipped), in flat
   * b·T + t order, with their targets and loss weights. When there are none, position 0 stands in with weight 0
   * (count 0), so that the loss keeps its (zero) dependence on every parameter.
   */
  private targets(batch: GPTNeoBatch): { positions: Int32Array; targets: Int32Array; weights: Float32Array; count: number } {
    const { batchSize: B, seqLen: T, labels, segmentIds, exampleWeights, tokenWeights } = batch;
    if (!labels) throw new Error('lossTerms: the batch has no labels');
    const positions: number[] = [];
    const targets: number[] = [];
    const weights: number[] = [];
    for (let b = 0; b < B; b++) {
      const w = exampleWeights ? exampleWeights[b] : 1;
      for (let t = 0; t + 1 < T; t++) {
        const i = b * T + t;
        const label = labels[i + 1];
        if (label === IGNORE_INDEX) continue;
        if (segmentIds && segmentIds[i] !== segmentIds[i + 1]) continue; // never predict across packed examples
        if (!(label >= 0 && label < this.config.vocabSize)) throw new UserError(`label ${label} at row ${b} is outside the vocabulary`);
        positions.push(i);
        targets.push(label);
        weights.push(tokenWeights ? tokenWeights[i + 1] : w);
      }
    }
    const count = positions.length;
    if (count === 0) return { positions: Int32Array.of(0), targets: Int32Array.of(0), weights: Float32Array.of(0), count };
    return { positions: Int32Array.from(positions), targets: Int32Array.from(targets), weights: Float32Array.from(weights), count };
  }

  /**
   * Cross-entropy (M) at the M positions that carry a label, with their logits (M, V) and targets. Only those rows
   * of the final hidden states go through the head: completion-only batches, where most positions carry no label,
   * skip most of the head and of the cross-entropy. The gather's gradient scatters back into (N, C), so every
   * parameter's gradient, the tied embedding's included, equals that of the head over all N positions.
   */
  private tokenLosses(batch: GPTNeoBatch, training: boolean) {
    const t = this.targets(batch);
    const L = this.layout(batch);
    const h = this.hidden(tf.tensor1d(batch.inputIds, 'int32'), L, training); // (N, C)
    const rows = t.positions.length === L.B * L.T ? h : embedding(h, tf.tensor1d(t.positions, 'int32')); // (M, C)
    const logits = this.head(rows); // (M, V)
    const targetT = tf.tensor1d(t.targets, 'int32');
    return { ...t, logits, targetT, ...crossEntropyAndArgmax(logits, targetT) };
  }

  /** Loss terms for one batch, inside the caller's tf.tidy / variableGrads (HF next-token shift, −100 ignored). */
  lossTerms(batch: GPTNeoBatch, options: { training?: boolean } = {}): LossTerms {
    const { logits, nll, argmax, targetT, weights, count } = this.tokenLosses(batch, options.training ?? false);
    const lossSum = tf.sum(tf.mul(nll, tf.tensor1d(weights))) as tf.Scalar;
    const hits = tf.cast(tf.equal(argmax ?? tf.argMax(logits, 1), targetT), 'float32');
    const correct = count === 0 ? tf.scalar(0) : (tf.sum(hits) as tf.Scalar); // the stand-in row never counts
    return { lossSum, tokens: tf.scalar(count), correct };
  }

  /** Mean next-token cross-entropy over trainable tokens (HF `loss`; NaN when there are none). */
  loss(batch: GPTNeoBatch): number {
    // Values are read after the tidy: reading inside it is slow on the native backend.
    const mean = tf.tidy(() => {
      const { lossSum, tokens } = this.lossTerms({ ...batch, exampleWeights: undefined, tokenWeights: undefined });
      return tf.div(lossSum, tokens);
    });
    const value = mean.dataSync()[0];
    mean.dispose();
    return value;
  }

  /** log p(labels[t] | tokens < t) at each trainable position t (aligned with labels, B·T); 0 elsewhere. */
  tokenLogProbs(batch: GPTNeoBatch): Float32Array {
    const { batchSize: B, seqLen: T } = batch;
    const { positions, count } = this.targets(batch);
    const out = new Float32Array(B * T);
    if (count === 0) return out;
    const nllT = tf.tidy(() => this.tokenLosses({ ...batch, exampleWeights: undefined, tokenWeights: undefined }, false).nll);
    const nll = nllT.dataSync();
    nllT.dispose();
    positions.forEach((i, k) => {
      out[i + 1] = -nll[k];
    });
    return out;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Generation with a key/value cache: the prompt in one pass, then one position per new token.

  /** One forward step over `ids` (batch of one) after `past` cached positions; returns the last position's logits. */
  private step(ids: number[], past: number, cache: LayerCache[]): Float32Array {
    const old = cache.slice();
    const row = tf.tidy(() => {
      const L = this.layout({ batchSize: 1, seqLen: ids.length, inputIds: Int32Array.from(ids) }, past);
      const h = this.hidden(tf.tensor1d(Int32Array.from(ids), 'int32'), L, false, cache); // (T, C)
      const last = tf.slice(h, [ids.length - 1, 0], [1, this.config.hiddenSize]); // (1, C)
      for (const c of cache) {
        tf.keep(c.k);
        tf.keep(c.v);
      }
      return this.head(last); // (1, V)
    });
    disposeCache(old);
    const logits = row.dataSync() as Float32Array;
    row.dispose();
    return logits;
  }

  /**
   * Generates a continuation of `promptIds` (the new ids only, without the prompt; the EOS that stops it is not
   * included). Greedy unless temperature > 0; then top-k, then top-p filtering and sampling from a seeded stream.
   */
  generate(promptIds: number[], options: GenerateOptions = {}): number[] {
    if (promptIds.length === 0) throw new UserError('generate: the prompt is empty (give at least one token)');
    validateGenerateOptions(options);
    const maxNew = options.maxNewTokens ?? 20;
    if (maxNew === 0) return [];
    const eos = options.eosTokenId === undefined ? this.config.eosTokenId : options.eosTokenId;
    const rng = new Rng(options.seed ?? 0);
    const cache: LayerCache[] = [];
    const out: number[] = [];
    try {
      let logits = this.step(promptIds, 0, cache);
      let length = promptIds.length;
      while (out.length < maxNew) {
        const next = pickNextToken(logits, options, rng);
        if (eos !== null && next === eos) break;
        out.push(next);
        if (out.length >= maxNew || length >= this.config.maxPositionEmbeddings) break;
        logits = this.step([next], length, cache);
        length++;
      }
    } finally {
      disposeCache(cache);
    }
    return out;
  }
}

function disposeCache(cache: LayerCache[]): void {
  for (const c of cache) {
    c.k.dispose();
    c.v.dispose();
  }
}

/** (1, 1, L, L) additive bias: 0 where key j ≤ query i (and i − j ≤ `reach` unless reach < 0), MASKED elsewhere. */
function causalBias(L: number, reach: number): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.sub(tf.reshape(tf.range(0, L, 1, 'int32'), [L, 1]), tf.range(0, L, 1, 'int32')); // (L, L) query − key
    const causal = tf.greaterEqual(d, 0);
    const allowed = reach < 0 ? causal : tf.logicalAnd(causal, tf.lessEqual(d, reach));
    return tf.reshape(tf.where(allowed, tf.zeros([L, L]), tf.fill([L, L], MASKED)), [1, 1, L, L]);
  });
}

/** A fresh model with HF-style random initialisation from `seed` (see random.ts). */
export function randomModel(config: GPTNeoConfig, seed: number): GPTNeoModel {
  return new GPTNeoModel(config, (spec) => {
    const values = initialValues(spec, config, seed);
    const t = tf.tensor(values, spec.hfShape);
    if (spec.kind !== 'linear') return t;
    const transposed = tf.transpose(t); // [out, in] draw order as HF → [in, out]
    t.dispose();
    return transposed;
  });
}
