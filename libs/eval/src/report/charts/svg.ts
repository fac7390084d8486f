// The <svg> root every chart uses: sized in px, scalable by CSS, titled for screen readers. No xmlns:
// inline SVG in HTML gets its namespace from the parser, and the page references no outside resource.
import { esc, r } from '../html';

/** An <svg> root with a title for screen readers. */
export function svg(width: number, height: number, title: string, body: string): string {
  return (
    `<svg class="chart" viewBox="0 0 ${r(width)} ${r(height)}" width="${r(width)}" height="${r(height)}" role="img" aria-label="${esc(title)}" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif">` +
    `<title>${esc(title)}</title>${body}</svg>`
  );
}
