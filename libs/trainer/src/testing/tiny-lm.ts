// A tiny causal LM for trainer tests: each position sees only its own token (a bigram model with a
// LayerNorm between embedding and head), named like GPT-Neo's parameters so decay exclusions apply.
// Implements TrainableModel on tfjs-core ops; not a language model anyone should use.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_INDEX, type CollatedBatch, type LossTerms, type TrainableModel } from '../types';

export interface TinyLMConfig {
  vocabSize: number; // V
  hidden: number; // C
  seed: number;
}

export class TinyLM implements TrainableModel {
  readonly trainableVariables: tf.Variable[];

  constructor(readonly config: TinyLMConfig) {
    const { vocabSize: V, hidden: C, seed } = config;
    const init = (name: string, shape: number[], kind: 'normal' | 'ones' | 'zeros', s = 0): tf.Variable =>
      tf.variable(
        tf.tidy(() =>
          kind === 'normal'
            ? tf.randomNormal(shape, 0, 0.2, 'float32', seed + s)
            : kind === 'ones'
              ? tf.ones(shape)
              : tf.zeros(shape),
        ),
        true,
        name,
      );
    this.trainableVariables = [
      init('transformer.wte.weight', [V, C], 'normal', 1),
      init('transformer.ln_f.weight', [C], 'ones'),
      init('transformer.ln_f.bias', [C], 'zeros'),
      init('lm_head.weight', [V, C], 'normal', 2),
      init('lm_head.bias', [V], 'zeros'),
    ];
  }

  lossTerms(batch: CollatedBatch): LossTerms {
    const { batchSize: B, seqLen: T, inputIds, labels, exampleWeights } = batch;
    const V = this.config.vocabSize;
    // next-token targets: position t predicts labels[t + 1]
    const targets = new Int32Array(B * T).fill(0);
    const weights = new Float32Array(B * T);
    const mask = new Float32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t + 1 < T; t++) {
        const y = labels[b * T + t + 1];
        if (y === IGNORE_INDEX) continue;
        targets[b * T + t] = y;
        mask[b * T + t] = 1;
        weights[b * T + t] = exampleWeights ? exampleWeights[b] : 1;
      }
    }
    const [wte, lnW, lnB, head, headB] = this.trainableVariables;
    const ids = tf.tensor1d(inputIds, 'int32'); // (B*T)
    const x = tf.gather(wte, ids); // (B*T, C)
    const { mean, variance } = tf.moments(x, -1, true);
    const h = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), lnW), lnB); // (B*T, C)
    const logits = tf.add(tf.matMul(h, head, false, true), headB); // (B*T, V)
    const target = tf.tensor1d(targets, 'int32');
    const logp = tf.logSoftmax(logits); // (B*T, V)
    const picked = tf.sum(tf.mul(logp, tf.oneHot(target, V)), -1); // (B*T)
    const maskT = tf.tensor1d(mask);
    const lossSum = tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(weights)))) as tf.Scalar;
    const hits = tf.cast(tf.equal(tf.argMax(logits, -1), target), 'float32');
    return { lossSum, tokens: tf.sum(maskT) as tf.Scalar, correct: tf.sum(tf.mul(hits, maskT)) as tf.Scalar };
  }

  /** Copies of the weights by name, for comparisons in tests. */
  snapshot(): Map<string, Float32Array> {
    return new Map(this.trainableVariables.map((v) => [v.name, v.dataSync() as Float32Array]));
  }

  dispose(): void {
    for (const v of this.trainableVariables) v.dispose();
  }
}
