// Small helpers for building HTML and SVG text safely: escaping, number formatting, element helpers.
// Every report fragment is a string; anything that came from data goes through `esc`.

/** Escapes text for HTML and XML content and attribute values. */
export function esc(text: string | number): string {
  return String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A number with `digits` decimals; '—' for null, undefined or NaN; '∞' for infinities. */
export function num(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return value > 0 ? '∞' : '−∞';
  return value.toFixed(digits).replace(/^-/, '−');
}

/** A ratio in [0, 1] as a percentage. */
export function pct(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  return `${(value * 100).toFixed(digits).replace(/^-/, '−')}%`;
}

/** A signed difference of ratios in percentage points. */
export function pp(value: number, digits = 1): string {
  const s = (Math.abs(value) * 100).toFixed(digits);
  return `${value < 0 ? '−' : '+'}${s} pp`;
}

/** Shortens text to `max` characters with an ellipsis, keeping it one line. */
export function clip(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/** Coordinates rounded for compact SVG. */
export function r(x: number): string {
  return String(Math.round(x * 10) / 10);
}
