// LoRA adapters on GPT-Neo's Linear layers, as PEFT 0.17 LoraLayer computes them: y = x·W + b + s·(drop(x)·A)·B with
// A (in, r), B (r, out) and s = alpha / r (alpha / √r with rslora); A starts Kaiming-uniform (bound 1/√in), B at 0,
// so a fresh adapter leaves the model unchanged. bias 'all' trains every bias of the base with the adapters, 'lora_only'
// the biases of the targeted layers. Not here: DoRA, embedding or lm_head adapters, per-module ranks. The files in PEFT's layout are adapter-io.ts; docs/hf-semantics.md §4.6.
import * as tf from '@tensorflow/tfjs-core';
import { UserError } from '@ftune/common';
import { type GPTNeoConfig, LORA_TARGETS } from './config';
import { matmul } from './ops/matmul';
import { Rng, streamSeed } from './random';

export { LORA_TARGETS, type LoraTarget } from './config';

export interface LoraConfig {
  r: number; // rank of A·B
  alpha: number; // lora_alpha: the update is scaled by alpha / r
  dropout: number; // lora_dropout on the adapter's input, training only
  /** Which modules get adapters: short names, PEFT's suffix match (`q_proj` matches every layer's q_proj). */
  targets: readonly string[];
  /** Only these block indices (PEFT layers_to_transform); absent = every block. */
  layers?: readonly number[];
  /** rslora: scale alpha / √r instead of alpha / r. */
  rslora?: boolean;
  /**
   * 'all': every bias of the base (LayerNorm and Linear) is trained and saved with the adapters; 'lora_only': the
   * biases of the targeted layers (q_proj, k_proj and v_proj have none); default 'none'.
   */
  bias?: 'none' | 'all' | 'lora_only';
}

/**
 * True for the base parameters peft trains beside the adapters: with bias 'all' every one whose name holds "bias",
 * with 'lora_only' the bias of each targeted module (`targeted`: module paths).
 */
export function isTrainableBias(name: string, lora: Pick<LoraConfig, 'bias'>, targeted: ReadonlySet<string>): boolean {
  if (lora.bias === 'all') return name.includes('bias');
  return lora.bias === 'lora_only' && name.endsWith('.bias') && targeted.has(name.slice(0, -'.bias'.length));
}

/**
 * PEFT's file key of a base bias saved with the adapters: a targeted module's bias sits under its base_layer
 * (base_model.model.<module>.base_layer.bias), any other as base_model.model.<name>.
 */
export function peftBiasKey(name: string, targeted: ReadonlySet<string>): string {
  const module = name.slice(0, -'.bias'.length);
  return targeted.has(module) ? `base_model.model.${module}.base_layer.bias` : `base_model.model.${name}`;
}

/** One Linear layer a LoRA adapter may target: its module path and sizes. */
export interface LoraModule {
  path: string; // e.g. transformer.h.0.attn.attention.q_proj
  layer: number;
  inFeatures: number;
  outFeatures: number;
}

/** Every Linear layer of the blocks, in module order (PEFT's candidates; lm_head is tied and never one). */
export function linearModules(c: GPTNeoConfig): LoraModule[] {
  const C = c.hiddenSize;
  const F = c.intermediateSize;
  const out: LoraModule[] = [];
  for (let i = 0; i < c.numLayers; i++) {
    const a = `transformer.h.${i}.attn.attention`;
    for (const p of ['k_proj', 'v_proj', 'q_proj', 'out_proj']) out.push({ path: `${a}.${p}`, layer: i, inFeatures: C, outFeatures: C });
    out.push({ path: `transformer.h.${i}.mlp.c_fc`, layer: i, inFeatures: C, outFeatures: F });
    out.push({ path: `transformer.h.${i}.mlp.c_proj`, layer: i, inFeatures: F, outFeatures: C });
  }
  return out;
}

/** The modules a config selects: a target equals the path or is a dot-separated suffix of it (PEFT's list match). */
export function selectModules(c: GPTNeoConfig, lora: Pick<LoraConfig, 'targets' | 'layers'>): LoraModule[] {
  const chosen = linearModules(c).filter(
    (m) => lora.targets.some((t) => m.path === t || m.path.endsWith(`.${t}`)) && (!lora.layers || lora.layers.includes(m.layer)),
  );
  if (chosen.length === 0) {
    throw new UserError(`LoRA targets ${JSON.stringify(lora.targets)} select none of GPT-Neo's Linear layers (${LORA_TARGETS.join(', ')})`);
  }
  return chosen;
}

/** Checks r, alpha, dropout and the layer indices; the message names the field. */
export function validateLoraConfig(c: LoraConfig, numLayers: number): void {
  if (!(Number.isInteger(c.r) && c.r >= 1)) throw new UserError(`lora.r must be an integer ≥ 1, got ${c.r}`);
  if (!(Number.isFinite(c.alpha) && c.alpha > 0)) throw new UserError(`lora.alpha must be a number > 0, got ${c.alpha}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new UserError(`lora.dropout must be in [0, 1), got ${c.dropout}`);
  if (c.targets.length === 0) throw new UserError('lora.targets must name at least one module');
  for (const l of c.layers ?? []) {
    if (!(Number.isInteger(l) && l >= 0 && l < numLayers)) throw new UserError(`lora layers_to_transform: ${l} is not a block of this model (0..${numLayers - 1})`);
  }
}

/** One adapter: A (in, r) and B (r, out), held in the layout the forward pass multiplies. */
export interface LoraLayer {
  module: LoraModule;
  a: tf.Variable; // (in, r)
  b: tf.Variable; // (r, out)
}

/** PEFT's file key of an adapter matrix: base_model.model.<module>.lora_A.weight. */
export function peftKey(modulePath: string, which: 'A' | 'B'): string {
  return `base_model.model.${modulePath}.lora_${which}.weight`;
}

/** The adapters of one model: a layer per selected module, with the shared scale and dropout. */
export class LoraAdapters {
  readonly scale: number;
  private readonly byPath = new Map<string, LoraLayer>();

  /**
   * Adapters on the modules `config` selects; `valueOf` gives each matrix in internal layout (A (in, r), B (r, out)),
   * ownership passing to the adapters. Variable names are PEFT's file keys after `prefix` (the model's).
   */
  constructor(
    readonly modelConfig: GPTNeoConfig,
    readonly config: LoraConfig,
    prefix: string,
    valueOf: (module: LoraModule, which: 'A' | 'B') => tf.Tensor,
  ) {
    validateLoraConfig(config, modelConfig.numLayers);
    this.scale = config.rslora ? config.alpha / Math.sqrt(config.r) : config.alpha / config.r;
    try {
      for (const module of selectModules(modelConfig, config)) {
        const a = this.variable(valueOf(module, 'A'), [module.inFeatures, config.r], prefix + peftKey(module.path, 'A'));
        let b: tf.Variable;
        try {
          b = this.variable(valueOf(module, 'B'), [config.r, module.outFeatures], prefix + peftKey(module.path, 'B'));
        } catch (e) {
          a.dispose();
          throw e;
        }
        this.byPath.set(module.path, { module, a, b });
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  private variable(value: tf.Tensor, shape: number[], name: string): tf.Variable {
    if (value.shape.join() !== shape.join()) {
      value.dispose();
      throw new UserError(`${name}: shape [${value.shape}] does not match rank ${this.config.r} ([${shape}] as held)`);
    }
    const v = tf.variable(value, true, name);
    value.dispose();
    return v;
  }

  /** Fresh adapters as PEFT initialises them: A ~ U(−1/√in, 1/√in) (kaiming_uniform_, a = √5), B = 0. */
  static fresh(modelConfig: GPTNeoConfig, config: LoraConfig, prefix: string, seed: number): LoraAdapters {
    return new LoraAdapters(modelConfig, config, prefix, (m, which) => {
      if (which === 'B') return tf.zeros([config.r, m.outFeatures]);
      const rng = new Rng(streamSeed(seed, peftKey(m.path, 'A')));
      const bound = 1 / Math.sqrt(m.inFeatures);
      const values = new Float32Array(m.inFeatures * config.r);
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.next() - 1) * bound;
      return tf.tensor(values, [m.inFeatures, config.r]);
    });
  }

  get layers(): LoraLayer[] {
    return [...this.byPath.values()];
  }

  /** Whether the base parameter `name` trains with these adapters (bias 'all' or 'lora_only'). */
  trainsBias(name: string): boolean {
    return isTrainableBias(name, this.config, new Set(this.byPath.keys()));
  }

  /** A then B of each layer, in module order. */
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.a, l.b]);
  }

  /**
   * s·(drop(x)·A)·B for the module at `path`, or null when it has no adapter: (N, in) → (N, out). `dropout` is the
   * model's (identity outside training).
   */
  delta(x: tf.Tensor, path: string, dropout: (x: tf.Tensor, rate: number) => tf.Tensor): tf.Tensor | null {
    const layer = this.byPath.get(path);
    if (!layer) return null;
    const input = dropout(x, this.config.dropout);
    return tf.mul(matmul(matmul(input, layer.a), layer.b), this.scale); // (N, in)·(in, r)·(r, out) → (N, out)
  }

  /** s·A·B, the change the adapter makes to the module's [in, out] weight. */
  weightDelta(path: string): tf.Tensor {
    const layer = this.byPath.get(path);
    if (!layer) throw new Error(`no adapter on ${path}`);
    return tf.tidy(() => tf.mul(matmul(layer.a, layer.b), this.scale)); // (in, r)·(r, out) → (in, out)
  }

  dispose(): void {
    for (const l of this.byPath.values()) {
      l.a.dispose();
      l.b.dispose();
    }
    this.byPath.clear();
  }
}
