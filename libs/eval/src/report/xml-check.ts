// Checks that make a report's promises testable without a browser: SVG fragments are well-formed
// XML, and the page loads nothing from outside (no script, stylesheet link, remote image or CSS url).

/** Problems found in an XML fragment (empty when well-formed): unbalanced tags, bad entities, stray '<'. */
export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  const token =
    /<!--[\s\S]*?-->|<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|<|&(?!(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);)/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(xml)) !== null) {
    const [all, close, name, , selfClose] = m;
    if (all.startsWith('<!--')) continue;
    if (all === '<') {
      problems.push(`stray '<' or malformed tag at ${m.index}`);
      continue;
    }
    if (all.startsWith('&')) {
      problems.push(`unescaped '&' at ${m.index}`);
      continue;
    }
    if (close) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> at ${m.index} closes <${open ?? 'nothing'}>`);
    } else if (!selfClose) {
      stack.push(name);
    }
  }
  for (const open of stack) problems.push(`<${open}> is never closed`);
  return problems;
}

/** The <svg>…</svg> fragments of an HTML page. */
export function svgFragments(html: string): string[] {
  return html.match(/<svg[\s>][\s\S]*?<\/svg>/g) ?? [];
}

/** Ways the page would reach outside itself (empty when self-contained). */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  const rules: [RegExp, string][] = [
    [/<script\b/gi, 'a <script> element'],
    [/<link\b/gi, 'a <link> element'],
    [/<(?:iframe|object|embed)\b/gi, 'an embedded document'],
    [
      /\b(?:src|href|xlink:href|action|poster)\s*=\s*["']?\s*(?:https?:|\/\/|file:)/gi,
      'an attribute pointing outside the page',
    ],
    [/url\(\s*["']?\s*(?:https?:|\/\/|file:)/gi, 'a CSS url() outside the page'],
    [/@import\b/gi, 'a CSS @import'],
  ];
  for (const [re, what] of rules) {
    const n = html.match(re)?.length ?? 0;
    if (n > 0) found.push(`${n}× ${what}`);
  }
  return found;
}
