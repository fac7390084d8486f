// AdamW as torch.optim.AdamW computes it (the Hugging Face Trainer's default optimizer): decoupled
// weight decay p ← p·(1 − lr·wd), m ← lerp(m, g, 1 − β1), v ← β2·v + (1 − β2)·g²,
// p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps). No amsgrad, no maximize.
//
// Two ways to compute it. On the host: the moments live in host memory and one fused loop per parameter
// updates m, v and p in a single pass (the gradient division by the token count and the clipping
// coefficient folded into one factor), where the tensor ops take about fourteen passes over memory and as
// many allocations per parameter. It takes about two thirds of the CPU time of the tensor ops but runs on
// one thread (docs/benchmarks.md), so it is the default only for the JavaScript backends (cpu, wasm); the
// native backend, CPU or GPU, keeps the moments as tensors and updates with tensor ops on all its threads.
// On the native CPU backend built with ftune's native ops (native-ops.ts), the same update runs as one fused
// pass over each parameter on all threads, in place, with the sum of squares for clipping done natively too:
// two passes over the gradients' memory in all where the tensor ops take about fifteen.
import * as tf from '@tensorflow/tfjs-core';
import { clipFactor } from './clip';
import { isDecayed } from './decay';
import { type NativeOps, nativeOps } from './native-ops';

export interface AdamWConfig {
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-8
  weightDecay: number; // applied only to parameters for which isDecayed(name)
  /** Keep the moments in host memory and update in one fused pass (default: on the cpu and wasm backends). */
  onHost?: boolean;
  /** Use the native fused step where the backend has it (default true; false keeps the tensor ops). */
  native?: boolean;
}

export const ADAMW_DEFAULTS: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

/** A moment in host memory. */
export interface HostMoment {
  shape: number[];
  data: Float32Array;
}

/** Saved optimizer state: the update count and both moments by parameter name, in host memory. */
export interface AdamWState {
  step: number;
  expAvg: Map<string, HostMoment>;
  expAvgSq: Map<string, HostMoment>;
}

/** Whether the active backend is one of the JavaScript ones, whose tensors already live in host memory or near it. */
function javascriptBackend(): boolean {
  return tf.getBackend() === 'cpu' || tf.getBackend() === 'wasm';
}

/** The values of `t` as an array this code may overwrite (the cpu backend hands out its own storage). */
function writableCopy(t: tf.Tensor): Float32Array {
  const data = t.dataSync() as Float32Array;
  return tf.getBackend() === 'cpu' ? data.slice() : data; // other backends copy on read already
}

export class AdamW {
  private step = 0;
  readonly onHost: boolean;
  // host moments (onHost) or device moments (otherwise), by parameter name
  private readonly hostM = new Map<string, Float32Array>();
  private readonly hostV = new Map<string, Float32Array>();
  private readonly deviceM = new Map<string, tf.Tensor>();
  private readonly deviceV = new Map<string, tf.Tensor>();
  private readonly decayed: ReadonlySet<string>;
  private readonly native: NativeOps | undefined;

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly config: AdamWConfig,
  ) {
    this.decayed = new Set(variables.filter((v) => isDecayed(v.name)).map((v) => v.name));
    this.onHost = config.onHost ?? javascriptBackend();
    this.native = this.onHost || config.native === false ? undefined : nativeOps();
  }

  /** How updates are computed: on the host, by the native fused step, or by tensor ops on the backend. */
  get path(): 'host' | 'native' | 'tensor-ops' {
    return this.onHost ? 'host' : this.native ? 'native' : 'tensor-ops';
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
    if (this.onHost) this.applyOnHost(grads, 1, lr);
    else if (this.native) this.applyNative(this.native, grads, 1, lr);
    else this.applyOnDevice(grads, lr);
  }

  /**
   * Divides the gradients by `divisor` (the trainable tokens of the step), clips their global L2 norm to
   * `maxNorm` as torch.nn.utils.clip_grad_norm_ does (coef = min(1, maxNorm / (norm + 1e-6)); 0 = no clipping)
   * and applies one update at rate `lr`. Returns the norm before clipping. The inputs are not disposed.
   */
  clipAndApply(grads: ReadonlyMap<string, tf.Tensor>, divisor: tf.Scalar, maxNorm: number, lr: number): tf.Scalar {
    if (!this.onHost && !this.native) {
      const { norm, factor } = clipFactor(grads.values(), maxNorm, divisor);
      this.applyOnDevice(grads, lr, factor); // the factor enters the moments' products: no clipped copies
      factor.dispose();
      return norm;
    }
    const d = divisor.dataSync()[0];
    let squares = 0;
    let arrays: Map<string, Float32Array> | undefined;
    if (this.native) squares = this.native.sumOfSquares([...grads.values()]);
    else {
      arrays = new Map();
      for (const [name, g] of grads) {
        const data = g.dataSync() as Float32Array;
        arrays.set(name, data);
        for (let i = 0; i < data.length; i++) squares += data[i] * data[i];
      }
    }
    const norm = Math.sqrt(squares) / d;
    const coef = maxNorm > 0 ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
    if (this.native) this.applyNative(this.native, grads, coef / d, lr);
    else this.applyOnHost(arrays ?? new Map(), coef / d, lr);
    return tf.scalar(norm);
  }

  /** The update with each gradient scaled by `scale`, moments and arithmetic on the host, one pass per parameter. */
  private applyOnHost(grads: ReadonlyMap<string, tf.Tensor | Float32Array>, scale: number, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const stepSize = lr / (1 - Math.pow(beta1, this.step));
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    const b1c = 1 - beta1;
    const b2c = 1 - beta2;
    for (const variable of this.variables) {
      const given = grads.get(variable.name);
      if (!given) continue;
      const g = given instanceof Float32Array ? given : (given.dataSync() as Float32Array);
      if (g.length !== variable.size) throw new Error(`AdamW: the gradient of ${variable.name} has ${g.length} values, expected ${variable.size}`);
      let m = this.hostM.get(variable.name);
      let v = this.hostV.get(variable.name);
      if (!m || !v) {
        m = new Float32Array(variable.size);
        v = new Float32Array(variable.size);
        this.hostM.set(variable.name, m);
        this.hostV.set(variable.name, v);
      }
      const keep = 1 - lr * (this.decayed.has(variable.name) ? weightDecay : 0);
      const p = writableCopy(variable);
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] * scale;
        const mi = m[i] + (gi - m[i]) * b1c;
        const vi = v[i] * beta2 + gi * gi * b2c;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * keep - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
      const next = tf.tensor(p, variable.shape, 'float32');
      variable.assign(next);
      next.dispose(); // the variable holds its own reference
    }
  }

  /**
   * The update as tensor ops on the backend's device, each gradient scaled by `factor` (default 1). In the
   * form m ← β1·m + ((1 − β1)·f)·g, v ← β2·v + ((1 − β2)·f²)·g², p ← p·(1 − lr·wd) − (lr·√bc2/bc1)·m / (√v + eps·√bc2)
   * (the same update, rearranged): twelve or thirteen ops per parameter.
   */
  private applyOnDevice(grads: ReadonlyMap<string, tf.Tensor>, lr: number, factor?: tf.Scalar): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    const stepSize = (lr * bc2Sqrt) / (1 - Math.pow(beta1, this.step));
    const epsHat = eps * bc2Sqrt;
    const [c1, c2] = tf.tidy(() =>
      factor ? [tf.mul(factor, 1 - beta1), tf.mul(tf.square(factor), 1 - beta2)] : [tf.scalar(1 - beta1), tf.scalar(1 - beta2)],
    );
    for (const v of this.variables) {
      const g = grads.get(v.name);
      if (!g) continue;
      const m0 = this.deviceM.get(v.name);
      const v0 = this.deviceV.get(v.name);
      const [m, s] = tf.tidy(() => {
        const m1 = m0 ? tf.add(tf.mul(m0, beta1), tf.mul(g, c1)) : tf.mul(g, c1);
        const v1 = v0 ? tf.add(tf.mul(v0, beta2), tf.mul(tf.square(g), c2)) : tf.mul(tf.square(g), c2);
        const wd = this.decayed.has(v.name) ? weightDecay : 0;
        const decayedP = wd !== 0 ? tf.mul(v, 1 - lr * wd) : v;
        v.assign(tf.sub(decayedP, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), epsHat)), stepSize)));
        return [m1, v1];
      });
      m0?.dispose();
      v0?.dispose();
      this.deviceM.set(v.name, m);
      this.deviceV.set(v.name, s);
    }
    tf.dispose([c1, c2]);
  }

  /**
   * The update by the native fused step, each gradient scaled by `scale`, in the form of applyOnDevice. The
   * parameters and moments it writes are first given memory of their own where they do not have it (after a
   * load or an outside assign, or when another live tensor shares it): what anything else holds never changes.
   */
  private applyNative(native: NativeOps, grads: ReadonlyMap<string, tf.Tensor>, scale: number, lr: number): void {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, this.step));
    const scalars = {
      beta1,
      beta2,
      c1: (1 - beta1) * scale,
      c2: (1 - beta2) * scale * scale,
      stepSize: (lr * bc2Sqrt) / (1 - Math.pow(beta1, this.step)),
      epsHat: eps * bc2Sqrt,
    };
    const shared = new Set<tf.Tensor>(); // tensors the native step found shared, until copied
    const own = (t: tf.Tensor) => shared.delete(t) || !native.isPrivate(t);
    for (let attempt = 0; ; attempt++) {
      const params: tf.Variable[] = [];
      const gs: tf.Tensor[] = [];
      const ms: tf.Tensor[] = [];
      const vs: tf.Tensor[] = [];
      const keep: number[] = [];
      for (const p of this.variables) {
        const g = grads.get(p.name);
        if (!g) continue;
        if (g.size !== p.size) throw new Error(`AdamW: the gradient of ${p.name} has ${g.size} values, expected ${p.size}`);
        if (own(p)) {
          const fresh = native.privateCopy(p);
          p.assign(fresh);
          fresh.dispose(); // the variable holds its own reference
        }
        params.push(p);
        gs.push(g);
        ms.push(this.privateMoment(native, this.deviceM, p, own));
        vs.push(this.privateMoment(native, this.deviceV, p, own));
        keep.push(1 - lr * (this.decayed.has(p.name) ? weightDecay : 0));
      }
      const found = native.adamW(params, gs, ms, vs, keep, scalars);
      if (found.length === 0) return;
      if (attempt > 0) throw new Error(`AdamW: the native step still found shared memory after copying (${found.length} tensors)`);
      found.forEach((t) => shared.add(t));
    }
  }

  /** The moment of `p` in `moments`, zeros at first, replaced by a private copy when `own` says so. */
  private privateMoment(
    native: NativeOps,
    moments: Map<string, tf.Tensor>,
    p: tf.Variable,
    own: (t: tf.Tensor) => boolean,
  ): tf.Tensor {
    const current = moments.get(p.name);
    if (current && !own(current)) return current;
    const source = current ?? tf.zerosLike(p);
    const fresh = native.privateCopy(source);
    source.dispose();
    moments.set(p.name, fresh);
    return fresh;
  }

  /** The state to checkpoint, copied to host memory. */
  state(): AdamWState {
    const read = (moments: Map<string, tf.Tensor>) =>
      new Map([...moments].map(([name, t]) => [name, { shape: t.shape, data: t.dataSync() as Float32Array }]));
    const host = (moments: Map<string, Float32Array>) =>
      new Map([...moments].map(([name, data]) => [name, { shape: this.shapeOf(name), data: data.slice() }]));
    return this.onHost
      ? { step: this.step, expAvg: host(this.hostM), expAvgSq: host(this.hostV) }
      : { step: this.step, expAvg: read(this.deviceM), expAvgSq: read(this.deviceV) };
  }

  /** Restores a saved state (copied in). */
  load(state: AdamWState): void {
    this.dispose();
    this.step = state.step;
    for (const [moments, hostTo, deviceTo] of [
      [state.expAvg, this.hostM, this.deviceM],
      [state.expAvgSq, this.hostV, this.deviceV],
    ] as const) {
      for (const [name, { shape, data }] of moments) {
        if (this.onHost) hostTo.set(name, data.slice());
        else deviceTo.set(name, tf.tensor(data, shape, 'float32'));
      }
    }
  }

  private shapeOf(name: string): number[] {
    const v = this.variables.find((x) => x.name === name);
    if (!v) throw new Error(`AdamW: no parameter ${name}`);
    return v.shape;
  }

  dispose(): void {
    for (const t of this.deviceM.values()) t.dispose();
    for (const t of this.deviceV.values()) t.dispose();
    this.deviceM.clear();
    this.deviceV.clear();
    this.hostM.clear();
    this.hostV.clear();
  }
}
