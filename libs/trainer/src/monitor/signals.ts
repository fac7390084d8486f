// Over- and underfitting told in words, from the evaluations of a run: overfitting when validation loss
// rose while training loss fell over the last `window` evaluations; underfitting when training loss
// stayed flat (relative change under 1%) over them. Each signal is reported when it starts, not at every eval.

export type SignalKind = 'overfitting' | 'underfitting';

export interface FitSignal {
  kind: SignalKind;
  step: number;
  message: string;
}

export interface EvalPoint {
  step: number;
  evalLoss: number;
  /** Mean training loss of the steps logged since the previous evaluation. */
  trainLoss: number;
}

export interface SignalMonitorState {
  history: EvalPoint[];
  active: SignalKind[];
}

const FLAT_RELATIVE_CHANGE = 0.01;

export class SignalMonitor {
  private history: EvalPoint[];
  private active: Set<SignalKind>;

  constructor(
    private readonly window: number,
    state?: SignalMonitorState,
  ) {
    this.history = state ? [...state.history] : [];
    this.active = new Set(state?.active ?? []);
  }

  state(): SignalMonitorState {
    return { history: [...this.history], active: [...this.active] };
  }

  /** Adds an evaluation; returns the signals that have just started. */
  add(point: EvalPoint): FitSignal[] {
    this.history.push(point);
    if (this.history.length > this.window + 1) this.history.shift();
    const now = new Map<SignalKind, string>();
    if (this.history.length === this.window + 1) {
      const h = this.history;
      const evalRising = h.every((p, i) => i === 0 || p.evalLoss > h[i - 1].evalLoss);
      const trainFalling = h.every((p, i) => i === 0 || p.trainLoss < h[i - 1].trainLoss);
      if (evalRising && trainFalling) {
        now.set(
          'overfitting',
          `possible overfitting: validation loss rose ${h[0].evalLoss.toFixed(4)} → ${point.evalLoss.toFixed(4)} ` +
            `over the last ${this.window} evaluations while training loss fell ${h[0].trainLoss.toFixed(4)} → ` +
            `${point.trainLoss.toFixed(4)}; consider early stopping, fewer epochs, more weight decay or more data`,
        );
      }
      const first = h[0].trainLoss;
      const change = Math.abs(point.trainLoss - first) / Math.max(Math.abs(first), 1e-12);
      if (change < FLAT_RELATIVE_CHANGE) {
        now.set(
          'underfitting',
          `possible underfitting: training loss stayed flat at ${point.trainLoss.toFixed(4)} ` +
            `(${(change * 100).toFixed(2)}% change) over the last ${this.window} evaluations; consider a higher ` +
            `learning rate, more epochs or a larger model`,
        );
      }
    }
    const started: FitSignal[] = [];
    for (const [kind, message] of now)
      if (!this.active.has(kind)) started.push({ kind, step: point.step, message });
    this.active = new Set(now.keys());
    return started;
  }
}
