// Confusion-matrix heat map as inline SVG: rows are reference labels, columns predicted labels;
// a cell's shade is its share of the row (recall-normalised, so rare labels read as clearly as common
// ones) and it prints the count and that share.
import { clip, esc, r } from '../html';
import { svg } from './svg';

export interface HeatmapOptions {
  /** Axis titles. */
  rowTitle?: string;
  columnTitle?: string;
  /** Largest cell side in px (default 64). */
  cell?: number;
}

function shade(t: number, diagonal: boolean): string {
  // white → blue for correct cells, white → orange-red for errors
  const [r0, g0, b0] = diagonal ? [11, 107, 203] : [213, 72, 30];
  const mix = (c: number): number => Math.round(255 + (c - 255) * Math.min(1, Math.max(0, t)));
  return `rgb(${mix(r0)},${mix(g0)},${mix(b0)})`;
}

/** The heat map of `matrix[g][p]` over `labels`. */
export function confusionHeatmap(
  labels: readonly string[],
  matrix: readonly number[][],
  options: HeatmapOptions = {},
): string {
  const k = labels.length;
  const cell = Math.max(28, Math.min(options.cell ?? 64, Math.floor(480 / Math.max(1, k))));
  const names = labels.map((l) => clip(l.trim() || JSON.stringify(l), 16));
  const longest = Math.max(...names.map((n) => n.length), 4);
  const left = 28 + Math.min(130, longest * 7.2);
  const top = 34;
  const width = left + k * cell + 12;
  const bottom = 26 + Math.min(110, longest * 6.2);
  const height = top + k * cell + bottom;
  const parts: string[] = [];
  const fontSize = cell < 40 ? 10 : 12;
  matrix.forEach((row, g) => {
    const support = row.reduce((a, b) => a + b, 0);
    row.forEach((count, p) => {
      const share = support ? count / support : 0;
      const x = left + p * cell;
      const y = top + g * cell;
      const fill = count === 0 ? '#f6f7f9' : shade(0.12 + 0.88 * share, g === p);
      const ink = share > 0.55 ? '#ffffff' : '#1f2933';
      parts.push(
        `<rect x="${r(x)}" y="${r(y)}" width="${cell - 2}" height="${cell - 2}" rx="3" fill="${fill}"><title>${esc(
          `${names[g]} → ${names[p]}: ${count} (${(share * 100).toFixed(1)}% of ${names[g]})`,
        )}</title></rect>`,
      );
      const cx = x + (cell - 2) / 2;
      parts.push(
        `<text x="${r(cx)}" y="${r(y + cell / 2 - (cell >= 44 ? 3 : -2))}" text-anchor="middle" font-size="${fontSize + 1}" font-weight="600" fill="${ink}">${count}</text>`,
      );
      if (cell >= 44 && support > 0) {
        parts.push(
          `<text x="${r(cx)}" y="${r(y + cell / 2 + 12)}" text-anchor="middle" font-size="${fontSize - 2}" fill="${ink}">${(share * 100).toFixed(0)}%</text>`,
        );
      }
    });
    parts.push(
      `<text x="${r(left - 8)}" y="${r(top + g * cell + cell / 2 + 3)}" text-anchor="end" font-size="12" fill="#1f2933">${esc(names[g])}</text>`,
    );
  });
  names.forEach((n, p) => {
    const x = left + p * cell + cell / 2 - 1;
    const y = top + k * cell + 8;
    parts.push(
      `<text transform="translate(${r(x)},${r(y)}) rotate(-40)" text-anchor="end" font-size="12" fill="#1f2933">${esc(n)}</text>`,
    );
  });
  parts.push(
    `<text x="${r(left + (k * cell) / 2)}" y="20" text-anchor="middle" font-size="12" font-weight="600" fill="#52606d">${esc(options.columnTitle ?? 'predicted')}</text>`,
  );
  parts.push(
    `<text transform="translate(14,${r(top + (k * cell) / 2)}) rotate(-90)" text-anchor="middle" font-size="12" font-weight="600" fill="#52606d">${esc(options.rowTitle ?? 'reference')}</text>`,
  );
  return svg(width, height, 'Confusion matrix', parts.join(''));
}
