// The report page: `renderReport()` wraps titled sections into one self-contained HTML document
// (inline CSS and SVG, no script, no outside resource), readable on screen and in print. Every
// stage that reports (evaluation, bias audit, the pipeline's run summary) contributes sections.
import { esc } from './html';

export interface ReportSection {
  /** Anchor id (default: from the title). */
  id?: string;
  title: string;
  /** One line under the title. */
  lead?: string;
  /** The section's body: trusted HTML built with the report helpers. */
  html: string;
}

export interface ReportPage {
  title: string;
  /** A line under the page title (e.g. the run id and date). */
  subtitle?: string;
  /** Key/value facts shown in the header (model, dataset, backend, …). */
  facts?: readonly (readonly [string, string])[];
  sections: readonly ReportSection[];
  /** Footer text. */
  footer?: string;
}

/** A URL-fragment-safe id from a title. */
export function slug(title: string): string {
  return (
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'section'
  );
}

export const REPORT_CSS = `
:root{--ink:#1f2933;--muted:#52606d;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#0b6bcb;--good:#0f7b4f;--bad:#b42318}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header.page{background:#102a43;color:#fff;padding:28px 0 22px}
header.page h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.page .subtitle{margin:4px 0 0;color:#bcccdc}
.wrap{max-width:1080px;margin:0 auto;padding:0 24px}
dl.facts{display:flex;flex-wrap:wrap;gap:6px 28px;margin:16px 0 0}
dl.facts div{display:flex;gap:8px;align-items:baseline}
dl.facts dt{color:#9fb3c8;font-size:12px;text-transform:uppercase;letter-spacing:.05em}
dl.facts dd{margin:0;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
nav.toc{position:sticky;top:0;z-index:1;background:rgba(255,255,255,.96);border-bottom:1px solid var(--line)}
nav.toc .wrap{display:flex;flex-wrap:wrap;gap:2px 18px;padding-top:9px;padding-bottom:9px}
nav.toc a{color:var(--muted);text-decoration:none;font-size:14px}
nav.toc a:hover{color:var(--accent)}
main{padding:24px 0 40px}
section.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:22px 26px;margin:0 0 22px;box-shadow:0 1px 2px rgba(16,42,67,.04)}
section.card>h2{margin:0 0 2px;font-size:20px;font-weight:650}
section.card>.lead{margin:0 0 14px;color:var(--muted)}
h3{font-size:15px;margin:22px 0 8px;color:#243b53}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(168px,1fr));gap:12px;margin:10px 0 6px}
.stat{border:1px solid var(--line);border-radius:8px;padding:10px 14px;background:#fbfcfd}
.stat-label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.stat-value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.stat-note{font-size:12.5px;color:var(--muted)}
.stat-note.good,.good{color:var(--good)}
.stat-note.bad,.bad{color:var(--bad)}
.table-wrap{overflow-x:auto;margin:8px 0}
table{border-collapse:collapse;width:100%;font-size:14px}
caption{text-align:left;color:var(--muted);font-size:13px;padding-bottom:4px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;background:#fbfcfd}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fcfcfd}
figure{margin:10px 0;min-width:0}
figure svg.chart{max-width:100%;height:auto;display:block}
figcaption{color:var(--muted);font-size:13px;margin-top:4px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:18px;align-items:start}
p.note{color:var(--muted);font-size:13.5px;margin:6px 0}
p.verdict{font-size:16px;margin:4px 0 12px;padding:10px 14px;border-left:4px solid var(--accent);background:#f3f8fd;border-radius:4px}
pre.text{margin:0;white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f7f9fb;border:1px solid var(--line);border-radius:6px;padding:8px 10px;max-height:16em;overflow:auto}
pre.text .empty{color:#9aa5b1;font-style:italic}
.sample{display:grid;grid-template-columns:1fr 1fr 1fr;gap:10px;margin:6px 0 18px}
.sample .head{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:0 0 3px}
.sample .prompt{grid-column:1/-1}
.badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:12px;font-weight:600;background:#e8f1fb;color:var(--accent)}
.badge.good{background:#e3f4ec}.badge.bad{background:#fdecea}
footer.page{color:var(--muted);font-size:12.5px;padding:0 0 30px}
@media (max-width:720px){.sample{grid-template-columns:1fr}.grid{grid-template-columns:1fr}}
@media print{body{background:#fff}nav.toc{display:none}section.card{break-inside:avoid;box-shadow:none}header.page{background:#fff;color:var(--ink)}}
`;

/** The whole report page as one HTML document. Section bodies are inserted as given. */
export function renderReport(page: ReportPage): string {
  const used = new Set<string>();
  const sections = page.sections.map((s) => {
    let id = s.id ?? slug(s.title);
    for (let n = 2; used.has(id); n++) id = `${s.id ?? slug(s.title)}-${n}`;
    used.add(id);
    return { ...s, id };
  });
  const facts = page.facts?.length
    ? `<dl class="facts">${page.facts.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`
    : '';
  const toc =
    sections.length > 1
      ? `<nav class="toc"><div class="wrap">${sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</div></nav>`
      : '';
  const body = sections
    .map(
      (s) =>
        `<section class="card" id="${esc(s.id)}"><h2>${esc(s.title)}</h2>${s.lead ? `<p class="lead">${esc(s.lead)}</p>` : ''}${s.html}</section>`,
    )
    .join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(page.title)}</title>`,
    `<style>${REPORT_CSS}</style>`,
    '</head>',
    '<body>',
    `<header class="page"><div class="wrap"><h1>${esc(page.title)}</h1>${page.subtitle ? `<p class="subtitle">${esc(page.subtitle)}</p>` : ''}${facts}</div></header>`,
    toc,
    `<main><div class="wrap">${body}</div></main>`,
    `<footer class="page"><div class="wrap">${esc(page.footer ?? 'Generated by ftune. This page is self-contained: it loads nothing from the network.')}</div></footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
