// Line chart as inline SVG for training curves: several series of (x, y) points on shared linear
// axes, with a legend; short series also get point markers.
import { esc, r } from '../html';
import { linear, niceTicks, PALETTE, tickLabel } from './scale';
import { svg } from './svg';

export interface LineSeries {
  name: string;
  points: readonly (readonly [number, number])[];
  color?: string;
  /** Dashed stroke (e.g. a smoothed or secondary series). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel?: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** A multi-series line chart; non-finite points are skipped. */
export function lineChart(series: readonly LineSeries[], options: LineChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 300;
  const m = { left: 52, right: 16, top: 34, bottom: 44 };
  const pts = series.flatMap((s) => s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b)));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xt = niceTicks(Math.min(...xs, 0), Math.max(...xs, 1), 6);
  const yt = niceTicks(Math.min(...ys, 0), Math.max(...ys, 1e-9), 5);
  const x = linear(xt[0], xt[xt.length - 1], m.left, width - m.right);
  const y = linear(yt[0], yt[yt.length - 1], height - m.bottom, m.top);
  const parts: string[] = [];
  for (const t of yt) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${r(y(t))}" y2="${r(y(t))}" stroke="#e4e7eb"/>`,
    );
    parts.push(
      `<text x="${m.left - 6}" y="${r(y(t) + 4)}" text-anchor="end" font-size="11" fill="#52606d">${esc(tickLabel(t))}</text>`,
    );
  }
  for (const t of xt) {
    parts.push(
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${height - m.bottom}" y2="${height - m.bottom + 4}" stroke="#9aa5b1"/>`,
    );
    parts.push(
      `<text x="${r(x(t))}" y="${height - m.bottom + 17}" text-anchor="middle" font-size="11" fill="#52606d">${esc(tickLabel(t))}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${height - m.bottom}" y2="${height - m.bottom}" stroke="#9aa5b1"/>`,
  );
  if (options.xLabel)
    parts.push(
      `<text x="${r((m.left + width - m.right) / 2)}" y="${height - 8}" text-anchor="middle" font-size="12" fill="#52606d">${esc(options.xLabel)}</text>`,
    );
  if (options.yLabel)
    parts.push(
      `<text transform="translate(14,${r((m.top + height - m.bottom) / 2)}) rotate(-90)" text-anchor="middle" font-size="12" fill="#52606d">${esc(options.yLabel)}</text>`,
    );
  let lx = m.left;
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const ok = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (ok.length > 0) {
      const d = ok.map(([a, b], j) => `${j ? 'L' : 'M'}${r(x(a))} ${r(y(b))}`).join('');
      parts.push(
        `<path d="${d}" fill="none" stroke="${color}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
      if (ok.length <= 40) {
        for (const [a, b] of ok)
          parts.push(
            `<circle cx="${r(x(a))}" cy="${r(y(b))}" r="3" fill="${color}"><title>${esc(`${s.name}: ${tickLabel(b)} at ${tickLabel(a)}`)}</title></circle>`,
          );
      }
    }
    parts.push(
      `<rect x="${r(lx)}" y="12" width="14" height="4" rx="1" fill="${color}"/><text x="${r(lx + 19)}" y="18" font-size="12" fill="#1f2933">${esc(s.name)}</text>`,
    );
    lx += 34 + s.name.length * 6.6;
  });
  return svg(width, height, options.title, parts.join(''));
}
