// GPT-Neo configuration: the typed form ftune uses, presets, and conversion to and from Hugging Face config.json.
// Follows transformers' GPTNeoConfig (4.53): defaults, attention_types expansion, intermediate_size = 4 × hidden.
// Only the gelu_new activation and tied word embeddings are supported (every released GPT-Neo uses both).
import { UserError } from '@ftune/common';

export type AttentionKind = 'global' | 'local';

export interface GPTNeoConfig {
  /** Number of token ids the embedding and the output head cover (GPT-2 BPE: 50257). */
  vocabSize: number;
  /** Length of the learned position table (wpe); the longest sequence the model can read. */
  maxPositionEmbeddings: number;
  /** Width of the residual stream, C. */
  hiddenSize: number;
  /** Number of transformer blocks. */
  numLayers: number;
  /** Attention heads per block; head dim D = hiddenSize / numHeads. */
  numHeads: number;
  /** Per-layer attention kind, length numLayers (HF `attention_layers`, the expansion of `attention_types`). */
  attentionLayers: AttentionKind[];
  /** MLP inner width F (HF `intermediate_size`; null there means 4 × hiddenSize). */
  intermediateSize: number;
  /** Local layers let query i see keys j with 0 ≤ i − j < windowSize. */
  windowSize: number;
  /** Activation in the MLP; GPT-Neo uses the tanh approximation of GELU ("gelu_new"). */
  activationFunction: 'gelu_new';
  /** Epsilon of every LayerNorm (ln_1, ln_2, ln_f). */
  layerNormEpsilon: number;
  /** Standard deviation of the normal initialisation of Linear and Embedding weights. */
  initializerRange: number;
  /** Dropout after wte + wpe (applied only when training). */
  embedDropout: number;
  /** Dropout on the attention probabilities (training only). */
  attentionDropout: number;
  /** Dropout after out_proj and after the MLP (training only). */
  residDropout: number;
  /** Beginning-of-sequence token id (GPT-2: 50256). */
  bosTokenId: number | null;
  /** End-of-sequence token id; generation stops on it (GPT-2: 50256). */
  eosTokenId: number | null;
}

/** Expands HF `attention_types`, e.g. [[["global","local"], 6]] → ["global","local", … 12 entries]. */
export function expandAttentionTypes(types: Array<[AttentionKind[], number]>): AttentionKind[] {
  const layers: AttentionKind[] = [];
  for (const [pattern, repeat] of types) {
    for (let r = 0; r < repeat; r++) layers.push(...pattern);
  }
  return layers;
}

function alternating(numLayers: number): AttentionKind[] {
  return expandAttentionTypes([[['global', 'local'], numLayers / 2]]);
}

function preset(hidden: number, layers: number, heads: number, window: number, vocab: number, maxPos: number): GPTNeoConfig {
  return {
    vocabSize: vocab,
    maxPositionEmbeddings: maxPos,
    hiddenSize: hidden,
    numLayers: layers,
    numHeads: heads,
    attentionLayers: alternating(layers),
    intermediateSize: 4 * hidden,
    windowSize: window,
    activationFunction: 'gelu_new',
    layerNormEpsilon: 1e-5,
    initializerRange: 0.02,
    embedDropout: 0,
    attentionDropout: 0,
    residDropout: 0,
    bosTokenId: 50256,
    eosTokenId: 50256,
  };
}

/**
 * Presets. Parameters per block = 4·C² (q, k, v, out_proj) + C (out_proj bias) + 2·C·F + F + C (MLP) + 4·C (two LNs);
 * plus V·C (wte, tied with lm_head) + P·C (wpe) + 2·C (ln_f).
 */
export const GPT_NEO_PRESETS = {
  /** EleutherAI/gpt-neo-125M: C 768, 12 layers × 12 heads (D 64), F 3072, window 256; 7.09M per block × 12
   *  + 38.6M wte + 1.57M wpe = 125,198,592 parameters. */
  'gpt-neo-125m': preset(768, 12, 12, 256, 50257, 2048),
  /** EleutherAI/gpt-neo-1.3B: C 2048, 24 layers × 16 heads (D 128), F 8192, window 256; 50.35M per block × 24
   *  + 102.9M wte + 4.19M wpe = 1,315,575,808 parameters (5.26 GB in float32). */
  'gpt-neo-1.3b': preset(2048, 24, 16, 256, 50257, 2048),
  /** EleutherAI/gpt-neo-2.7B: C 2560, 32 layers × 20 heads (D 128), F 10240, window 256; 78.67M per block × 32
   *  + 128.7M wte + 5.24M wpe = 2,651,307,520 parameters (10.6 GB in float32). */
  'gpt-neo-2.7b': preset(2560, 32, 20, 256, 50257, 2048),
  /** Demo / benchmark size: C 256, 4 layers × 4 heads (D 64), F 1024; 0.79M per block × 4 + 12.9M wte + 0.52M wpe ≈ 16.6M. */
  small: preset(256, 4, 4, 256, 50257, 2048),
  /** Test size with the GPT-2 vocabulary: C 32, 2 layers (global, local) × 2 heads (D 16), window 8, 256 positions;
   *  12.7K per block × 2 + 1.61M wte + 8K wpe ≈ 1.64M parameters (almost all in wte). */
  tiny: preset(32, 2, 2, 8, 50257, 256),
} satisfies Record<string, GPTNeoConfig>;

export type GPTNeoPresetName = keyof typeof GPT_NEO_PRESETS;

/** A preset by name (copied), optionally with fields overridden; attentionLayers follows numLayers if not given. */
export function gptNeoConfig(name: string, overrides: Partial<GPTNeoConfig> = {}): GPTNeoConfig {
  if (!(name in GPT_NEO_PRESETS)) {
    throw new UserError(`unknown GPT-Neo preset "${name}" (known: ${Object.keys(GPT_NEO_PRESETS).join(', ')})`);
  }
  const base = GPT_NEO_PRESETS[name as GPTNeoPresetName];
  const config: GPTNeoConfig = { ...base, attentionLayers: [...base.attentionLayers], ...overrides };
  if (overrides.numLayers !== undefined && overrides.attentionLayers === undefined) {
    config.attentionLayers = Array.from({ length: config.numLayers }, (_, i) => (i % 2 === 0 ? 'global' : 'local'));
  }
  if (overrides.hiddenSize !== undefined && overrides.intermediateSize === undefined) {
    config.intermediateSize = 4 * config.hiddenSize;
  }
  validateConfig(config);
  return config;
}

export function validateConfig(c: GPTNeoConfig): void {
  const positive: Array<keyof GPTNeoConfig> = [
    'vocabSize', 'maxPositionEmbeddings', 'hiddenSize', 'numLayers', 'numHeads', 'intermediateSize', 'windowSize',
  ];
  for (const key of positive) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new UserError(`GPT-Neo config: ${key} must be a positive integer, got ${JSON.stringify(v)}`);
    }
  }
  if (c.hiddenSize % c.numHeads !== 0) {
    throw new UserError(`GPT-Neo config: hidden size ${c.hiddenSize} is not divisible by ${c.numHeads} heads`);
  }
  if (c.attentionLayers.length !== c.numLayers) {
    throw new UserError(
      `GPT-Neo config: attention_types expand to ${c.attentionLayers.length} layers but num_layers is ${c.numLayers}`,
    );
  }
  for (const kind of c.attentionLayers) {
    if (kind !== 'global' && kind !== 'local') throw new UserError(`GPT-Neo config: unknown attention type "${String(kind)}"`);
  }
  if (c.activationFunction !== 'gelu_new') {
    throw new UserError(`GPT-Neo config: activation "${String(c.activationFunction)}" is not supported (only gelu_new)`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Hugging Face config.json

type Json = Record<string, unknown>;

function num(json: Json, key: string, fallback: number): number {
  const v = json[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number') throw new UserError(`config.json: "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function tokenId(json: Json, key: string): number | null {
  const v = json[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && typeof v[0] === 'number') return v[0];
  throw new UserError(`config.json: "${key}" must be a token id, got ${JSON.stringify(v)}`);
}

/** Reads a Hugging Face GPT-Neo config.json object; refuses other architectures with a clear message. */
export function configFromHf(json: Json): GPTNeoConfig {
  const modelType = json['model_type'];
  const architectures = json['architectures'];
  if (modelType !== 'gpt_neo') {
    throw new UserError(`config.json: model_type is ${JSON.stringify(modelType)}, ftune supports only "gpt_neo" (GPT-Neo)`);
  }
  if (Array.isArray(architectures) && !architectures.every((a) => a === 'GPTNeoForCausalLM' || a === 'GPTNeoModel')) {
    throw new UserError(
      `config.json: architectures ${JSON.stringify(architectures)} are not supported (expected GPTNeoForCausalLM)`,
    );
  }
  if (json['tie_word_embeddings'] === false) {
    throw new UserError('config.json: tie_word_embeddings=false is not supported (GPT-Neo ties lm_head to wte)');
  }
  const hidden = num(json, 'hidden_size', 2048);
  const types = (json['attention_types'] ?? [[['global', 'local'], 12]]) as Array<[AttentionKind[], number]>;
  if (!Array.isArray(types) || !types.every((t) => Array.isArray(t) && Array.isArray(t[0]) && typeof t[1] === 'number')) {
    throw new UserError(`config.json: attention_types has an unexpected form: ${JSON.stringify(types)}`);
  }
  const activation = json['activation_function'] ?? 'gelu_new';
  const config: GPTNeoConfig = {
    vocabSize: num(json, 'vocab_size', 50257),
    maxPositionEmbeddings: num(json, 'max_position_embeddings', 2048),
    hiddenSize: hidden,
    numLayers: num(json, 'num_layers', 24),
    numHeads: num(json, 'num_heads', 16),
    attentionLayers: expandAttentionTypes(types),
    intermediateSize: num(json, 'intermediate_size', 4 * hidden),
    windowSize: num(json, 'window_size', 256),
    activationFunction: activation as 'gelu_new',
    layerNormEpsilon: num(json, 'layer_norm_epsilon', 1e-5),
    initializerRange: num(json, 'initializer_range', 0.02),
    embedDropout: num(json, 'embed_dropout', 0),
    attentionDropout: num(json, 'attention_dropout', 0),
    residDropout: num(json, 'resid_dropout', 0),
    bosTokenId: tokenId(json, 'bos_token_id'),
    eosTokenId: tokenId(json, 'eos_token_id'),
  };
  validateConfig(config);
  return config;
}

/** Compresses per-layer kinds back into HF `attention_types` runs of a repeated pattern. */
export function compressAttentionLayers(layers: AttentionKind[]): Array<[AttentionKind[], number]> {
  const n = layers.length;
  for (let p = 1; p <= n; p++) {
    if (n % p !== 0) continue;
    const pattern = layers.slice(0, p);
    if (layers.every((k, i) => k === pattern[i % p])) return [[pattern, n / p]];
  }
  return [[layers, 1]];
}

/** The Hugging Face config.json object for a config (what save_pretrained writes for GPTNeoForCausalLM). */
export function configToHf(c: GPTNeoConfig): Json {
  return {
    activation_function: c.activationFunction,
    architectures: ['GPTNeoForCausalLM'],
    attention_dropout: c.attentionDropout,
    attention_layers: c.attentionLayers,
    attention_types: compressAttentionLayers(c.attentionLayers),
    bos_token_id: c.bosTokenId,
    classifier_dropout: 0.1,
    embed_dropout: c.embedDropout,
    eos_token_id: c.eosTokenId,
    hidden_size: c.hiddenSize,
    initializer_range: c.initializerRange,
    intermediate_size: c.intermediateSize === 4 * c.hiddenSize ? null : c.intermediateSize,
    layer_norm_epsilon: c.layerNormEpsilon,
    max_position_embeddings: c.maxPositionEmbeddings,
    model_type: 'gpt_neo',
    num_heads: c.numHeads,
    num_layers: c.numLayers,
    resid_dropout: c.residDropout,
    torch_dtype: 'float32',
    transformers_version: '4.53.2',
    use_cache: true,
    vocab_size: c.vocabSize,
    window_size: c.windowSize,
  };
}

/** The Linear layers of a GPT-Neo block a LoRA adapter can sit on, by PEFT's target_modules names (lora.ts). */
export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'out_proj', 'c_fc', 'c_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];
