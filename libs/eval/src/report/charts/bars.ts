// Bar charts as inline SVG: grouped vertical bars (several series per category, e.g. precision,
// recall and F1 per label) and a horizontal bar list with optional interval whiskers (e.g. accuracy
// of the model and its baselines).
import { clip, esc, r } from '../html';
import { linear, niceTicks, PALETTE, tickLabel } from './scale';
import { svg } from './svg';

export interface BarSeries {
  name: string;
  values: readonly number[];
  color?: string;
}

export interface GroupedBarOptions {
  title: string;
  /** Fixed value range top (default: from the data); bottom is 0. */
  max?: number;
  /** Value label above each bar (default: 2 decimals). */
  format?: (v: number) => string;
  width?: number;
}

function legend(series: readonly { name: string; color: string }[], x: number, y: number): string {
  let cx = x;
  return series
    .map((s) => {
      const item = `<rect x="${r(cx)}" y="${r(y - 9)}" width="10" height="10" rx="2" fill="${s.color}"/><text x="${r(cx + 14)}" y="${r(y)}" font-size="12" fill="#1f2933">${esc(s.name)}</text>`;
      cx += 26 + s.name.length * 6.6;
      return item;
    })
    .join('');
}

/** Vertical bars grouped by category, one colour per series. */
export function groupedBarChart(
  categories: readonly string[],
  series: readonly BarSeries[],
  options: GroupedBarOptions,
): string {
  const width = options.width ?? 640;
  const height = 300;
  const m = { left: 44, right: 12, top: 30, bottom: 58 };
  const values = series.flatMap((s) => s.values.filter(Number.isFinite));
  const ticks = niceTicks(0, options.max ?? Math.max(1e-9, ...values), 4);
  const top = options.max ?? ticks[ticks.length - 1];
  const y = linear(0, top, height - m.bottom, m.top);
  const plotW = width - m.left - m.right;
  const groupW = plotW / Math.max(1, categories.length);
  const barW = Math.min(26, (groupW * 0.8) / Math.max(1, series.length));
  const fmt = options.format ?? ((v: number) => v.toFixed(2));
  const colored = series.map((s, i) => ({ ...s, color: s.color ?? PALETTE[i % PALETTE.length] }));
  const parts: string[] = [];
  for (const t of ticks.filter((t) => t <= top + 1e-12)) {
    parts.push(
      `<line x1="${m.left}" x2="${width - m.right}" y1="${r(y(t))}" y2="${r(y(t))}" stroke="#e4e7eb"/>`,
    );
    parts.push(
      `<text x="${m.left - 6}" y="${r(y(t) + 4)}" text-anchor="end" font-size="11" fill="#52606d">${esc(tickLabel(t))}</text>`,
    );
  }
  categories.forEach((c, ci) => {
    const gx = m.left + ci * groupW + (groupW - barW * colored.length) / 2;
    colored.forEach((s, si) => {
      const v = s.values[ci];
      if (!Number.isFinite(v)) return;
      const x = gx + si * barW;
      const h = Math.max(0, y(0) - y(Math.min(v, top)));
      parts.push(
        `<rect x="${r(x + 1)}" y="${r(y(0) - h)}" width="${r(barW - 2)}" height="${r(h)}" rx="2" fill="${s.color}"><title>${esc(`${c} · ${s.name}: ${fmt(v)}`)}</title></rect>`,
      );
      if (barW >= 18)
        parts.push(
          `<text x="${r(x + barW / 2)}" y="${r(y(0) - h - 4)}" text-anchor="middle" font-size="10" fill="#3e4c59">${esc(fmt(v))}</text>`,
        );
    });
    parts.push(
      `<text x="${r(m.left + ci * groupW + groupW / 2)}" y="${height - m.bottom + 16}" text-anchor="middle" font-size="12" fill="#1f2933">${esc(clip(c, Math.max(6, Math.floor(groupW / 7))))}</text>`,
    );
  });
  parts.push(
    `<line x1="${m.left}" x2="${width - m.right}" y1="${r(y(0))}" y2="${r(y(0))}" stroke="#9aa5b1"/>`,
  );
  parts.push(legend(colored, m.left, height - 12));
  return svg(width, height, options.title, parts.join(''));
}

export interface BarItem {
  label: string;
  value: number;
  /** Interval drawn as a whisker (e.g. a bootstrap CI of this value). */
  low?: number;
  high?: number;
  /** Emphasised (the evaluated model). */
  highlight?: boolean;
}

/** Horizontal bars, one per item, on a 0..max axis (default 1), with optional whiskers. */
export function barList(
  items: readonly BarItem[],
  options: { title: string; max?: number; format?: (v: number) => string; width?: number },
): string {
  const width = options.width ?? 640;
  const rowH = 30;
  const labels = items.map((it) => clip(it.label, 34));
  const left = 20 + Math.min(250, Math.max(...labels.map((l) => l.length), 4) * 7.4);
  const m = { top: 10, right: 64, bottom: 26 };
  const height = m.top + items.length * rowH + m.bottom;
  const max = options.max ?? 1;
  const x = linear(0, max, left, width - m.right);
  const fmt = options.format ?? ((v: number) => v.toFixed(3));
  const parts: string[] = [];
  for (const t of niceTicks(0, max, 4).filter((t) => t <= max + 1e-12)) {
    parts.push(
      `<line x1="${r(x(t))}" x2="${r(x(t))}" y1="${m.top}" y2="${height - m.bottom}" stroke="#e4e7eb"/>`,
    );
    parts.push(
      `<text x="${r(x(t))}" y="${height - m.bottom + 15}" text-anchor="middle" font-size="11" fill="#52606d">${esc(tickLabel(t))}</text>`,
    );
  }
  items.forEach((it, i) => {
    const cy = m.top + i * rowH + rowH / 2;
    const w = Math.max(0, x(Math.min(Math.max(it.value, 0), max)) - x(0));
    const fill = it.highlight ? PALETTE[0] : '#9aa5b1';
    parts.push(
      `<text x="${r(left - 8)}" y="${r(cy + 4)}" text-anchor="end" font-size="12" fill="#1f2933"${it.highlight ? ' font-weight="600"' : ''}>${esc(labels[i])}</text>`,
    );
    parts.push(
      `<rect x="${r(x(0))}" y="${r(cy - 9)}" width="${r(w)}" height="18" rx="3" fill="${fill}"><title>${esc(`${it.label}: ${fmt(it.value)}`)}</title></rect>`,
    );
    if (it.low !== undefined && it.high !== undefined) {
      const [a, b] = [x(Math.max(0, it.low)), x(Math.min(max, it.high))];
      parts.push(
        `<path d="M${r(a)} ${r(cy)}H${r(b)}M${r(a)} ${r(cy - 6)}V${r(cy + 6)}M${r(b)} ${r(cy - 6)}V${r(cy + 6)}" stroke="#1f2933" stroke-width="1.5" fill="none"/>`,
      );
    }
    parts.push(
      `<text x="${r(x(0) + w + 6)}" y="${r(cy + 4)}" font-size="12" fill="#1f2933">${esc(fmt(it.value))}</text>`,
    );
  });
  return svg(width, height, options.title, parts.join(''));
}
