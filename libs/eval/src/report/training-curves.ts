// Training and validation curves from a trainer's metrics.jsonl: step lines carry `loss` (and
// `token_accuracy`), evaluation lines `eval_loss` (and `eval_token_accuracy`), both with `step`.
// Lines that are not JSON objects or lack a numeric step are skipped and counted, never fatal: a
// report should still render from a log cut short by a killed job.
import { lineChart } from './charts/lines';
import { figure, grid, note } from './components';

export type Point = [number, number];

export interface TrainingCurves {
  loss: Point[];
  evalLoss: Point[];
  tokenAccuracy: Point[];
  evalTokenAccuracy: Point[];
  /** Lines that could not be read. */
  skipped: number;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Reads the curves out of metrics.jsonl text. */
export function parseMetricsLog(text: string): TrainingCurves {
  const curves: TrainingCurves = {
    loss: [],
    evalLoss: [],
    tokenAccuracy: [],
    evalTokenAccuracy: [],
    skipped: 0,
  };
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      curves.skipped++;
      continue;
    }
    if (
      typeof v !== 'object' ||
      v === null ||
      Array.isArray(v) ||
      !isNum((v as Record<string, unknown>)['step'])
    ) {
      curves.skipped++;
      continue;
    }
    const o = v as Record<string, unknown>;
    const step = o['step'] as number;
    if (isNum(o['loss'])) curves.loss.push([step, o['loss']]);
    if (isNum(o['token_accuracy'])) curves.tokenAccuracy.push([step, o['token_accuracy']]);
    if (isNum(o['eval_loss'])) curves.evalLoss.push([step, o['eval_loss']]);
    if (isNum(o['eval_token_accuracy'])) curves.evalTokenAccuracy.push([step, o['eval_token_accuracy']]);
  }
  return curves;
}

function curveFigure(
  title: string,
  yLabel: string,
  caption: string,
  train: Point[],
  validation: Point[],
): string {
  const series = [
    { name: 'training', points: train },
    { name: 'validation', points: validation },
  ];
  return figure(lineChart(series, { title, xLabel: 'optimizer step', yLabel }), caption);
}

/** Loss and token-accuracy charts, training beside validation; a note when the log has no point. */
export function trainingCurvesHtml(curves: TrainingCurves): string {
  if (curves.loss.length === 0 && curves.evalLoss.length === 0)
    return note('The training log has no loss to plot.');
  const charts = [
    curveFigure(
      'Training and validation loss',
      'loss (nats per token)',
      'Loss per completion token. Validation loss rising while training loss falls is the sign of overfitting.',
      curves.loss,
      curves.evalLoss,
    ),
  ];
  if (curves.tokenAccuracy.length > 0 || curves.evalTokenAccuracy.length > 0) {
    charts.push(
      curveFigure(
        'Next-token accuracy',
        'token accuracy',
        'Share of completion tokens predicted exactly (argmax).',
        curves.tokenAccuracy,
        curves.evalTokenAccuracy,
      ),
    );
  }
  const skipped = curves.skipped
    ? note(`${curves.skipped} line(s) of the training log could not be read and were left out.`)
    : '';
  return grid(charts) + skipped;
}
