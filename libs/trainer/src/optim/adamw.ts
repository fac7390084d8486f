// AdamW as torch.optim.AdamW computes it (the Hugging Face Trainer's default optimizer): decoupled
// weight decay p ← p·(1 − lr·wd), m ← lerp(m, g, 1 − β1), v ← β2·v + (1 − β2)·g²,
// p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps). No amsgrad, no maximize.
import * as tf from '@tensorflow/tfjs-core';
import { isDecayed } from './decay';

export interface AdamWConfig {
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-8
  weightDecay: number; // applied only to parameters for which isDecayed(name)
}

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** Saved optimizer state: the update count and both moments by parameter name. */
export interface AdamWState {
  step: number;
  expAvg: Map<string, tf.Tensor>;
  expAvgSq: Map<string, tf.Tensor>;
}

export class AdamW {
  private step = 0;
  private readonly expAvg = new Map<string, tf.Tensor>();
  private readonly expAvgSq = new Map<string, tf.Tensor>();
  private readonly decayed: ReadonlySet<string>;

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly config: AdamWConfig,
  ) {
    this.decayed = new Set(variables.filter((v) => isDecayed(v.name)).map((v) => v.name));
  }

  /** Names of the parameters in the decayed group (the rest get weight decay 0). */
  decayedNames(): string[] {
    return [...this.decayed];
  }

  get updates(): number {
    return this.step;
  }

  /** One update with learning rate `lr`; `grads` maps variable name to gradient (same shape). */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const stepSize = lr / (1 - Math.pow(beta1, this.step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    for (const v of this.variables) {
      const g = grads.get(v.name);
      if (!g) continue;
      const m0 = this.expAvg.get(v.name);
      const v0 = this.expAvgSq.get(v.name);
      const [m, s] = tf.tidy(() => {
        const mPrev = m0 ?? tf.zerosLike(g);
        const vPrev = v0 ?? tf.zerosLike(g);
        const m1 = tf.add(mPrev, tf.mul(tf.sub(g, mPrev), 1 - beta1));
        const v1 = tf.add(tf.mul(vPrev, beta2), tf.mul(tf.square(g), 1 - beta2));
        const wd = this.decayed.has(v.name) ? weightDecay : 0;
        const decayedP = wd !== 0 ? tf.mul(v, 1 - lr * wd) : v;
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), eps);
        v.assign(tf.sub(decayedP, tf.mul(tf.div(m1, denom), stepSize)));
        return [m1, v1];
      });
      m0?.dispose();
      v0?.dispose();
      this.expAvg.set(v.name, m);
      this.expAvgSq.set(v.name, s);
    }
  }

  /** The state to checkpoint (tensors still owned by the optimizer). */
  state(): AdamWState {
    return { step: this.step, expAvg: this.expAvg, expAvgSq: this.expAvgSq };
  }

  /** Restores a saved state; takes ownership of the given tensors. */
  load(state: AdamWState): void {
    this.dispose();
    this.step = state.step;
    for (const [k, t] of state.expAvg) this.expAvg.set(k, t);
    for (const [k, t] of state.expAvgSq) this.expAvgSq.set(k, t);
  }

  dispose(): void {
    for (const t of this.expAvg.values()) t.dispose();
    for (const t of this.expAvgSq.values()) t.dispose();
    this.expAvg.clear();
    this.expAvgSq.clear();
  }
}
