// Reusable HTML building blocks for report sections: key-figure cards, tables, notes and text
// comparisons. Styles live in page.ts; these only emit class names.
import { esc } from './html';

export interface Stat {
  label: string;
  value: string;
  /** A short line under the value (e.g. what it is compared with). */
  note?: string;
  /** Colours the note: 'good', 'bad' or neutral. */
  tone?: 'good' | 'bad';
}

/** A row of key figures. Values and notes are text (escaped). */
export function statCards(stats: readonly Stat[]): string {
  const card = (s: Stat): string =>
    `<div class="stat"><div class="stat-label">${esc(s.label)}</div><div class="stat-value">${esc(s.value)}</div>` +
    (s.note ? `<div class="stat-note${s.tone ? ` ${s.tone}` : ''}">${esc(s.note)}</div>` : '') +
    `</div>`;
  return `<div class="stats">${stats.map(card).join('')}</div>`;
}

export interface Column {
  title: string;
  /** Right-align numbers. */
  numeric?: boolean;
}

/**
 * A table. Cells are text, escaped, unless given as `{ html }` (for content built by other helpers).
 */
export function table(
  columns: readonly Column[],
  rows: readonly (string | { html: string })[][],
  caption?: string,
): string {
  const cls = (c: Column | undefined): string => (c?.numeric ? ' class="num"' : '');
  const cell = (v: string | { html: string }, i: number): string =>
    `<td${cls(columns[i])}>${typeof v === 'string' ? esc(v) : v.html}</td>`;
  return (
    `<div class="table-wrap"><table>` +
    (caption ? `<caption>${esc(caption)}</caption>` : '') +
    `<thead><tr>${columns.map((c) => `<th${cls(c)}>${esc(c.title)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('')}</tbody></table></div>`
  );
}

/** A muted explanatory paragraph (text, escaped). */
export function note(text: string): string {
  return `<p class="note">${esc(text)}</p>`;
}

/** A figure: chart markup with a caption (text, escaped). */
export function figure(svg: string, caption: string): string {
  return `<figure>${svg}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** Side-by-side charts that wrap on narrow screens. */
export function grid(items: readonly string[]): string {
  return `<div class="grid">${items.join('')}</div>`;
}

/** Preformatted text that keeps line breaks (escaped), e.g. a prompt or a generation. */
export function textBlock(text: string, cls = ''): string {
  return `<pre class="text${cls ? ` ${cls}` : ''}">${text.length ? esc(text) : '<span class="empty">(empty)</span>'}</pre>`;
}
