// Writes a report page for the report check: from an eval.json (and optional metrics.jsonl) when
// given, else from the built-in synthetic evaluation, then verifies it is self-contained and that
// every chart is well-formed SVG. Usage: tsx render.ts OUT_DIR [EVAL_JSON [METRICS_JSONL] | REPORT_HTML]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  evalSections,
  externalReferences,
  parseMetricsLog,
  renderReport,
  svgFragments,
  xmlProblems,
  type EvalResult,
} from '@ftune/eval';
import { demoEvaluation } from '@ftune/eval/src/testing';

async function main(): Promise<void> {
  const [out, evalPath, metricsPath] = process.argv.slice(2);
  if (!out) throw new Error('usage: render.ts OUT_DIR [EVAL_JSON [METRICS_JSONL]]');
  if (evalPath?.endsWith('.html')) {
    // A finished page (e.g. a run's report.html): checked as it is
    const page = readFileSync(evalPath, 'utf8');
    const issues = [
      ...externalReferences(page),
      ...svgFragments(page).flatMap((s, i) => xmlProblems(s).map((p) => `chart ${i + 1}: ${p}`)),
    ];
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'report.html'), page);
    process.stdout.write(`copied ${evalPath} (${page.length} bytes, ${svgFragments(page).length} charts)\n`);
    if (issues.length > 0) {
      process.stderr.write(`report problems:\n  ${issues.join('\n  ')}\n`);
      process.exitCode = 1;
    }
    return;
  }
  let result: EvalResult;
  let log: string | undefined;
  if (evalPath) {
    result = JSON.parse(readFileSync(evalPath, 'utf8')) as EvalResult;
    log = metricsPath ? readFileSync(metricsPath, 'utf8') : undefined;
  } else {
    const demo = await demoEvaluation();
    result = demo.result;
    log = demo.metricsLog;
  }
  const html = renderReport({
    title: 'ftune report check',
    subtitle: evalPath ? `from ${evalPath}` : 'synthetic evaluation (3 labels, 90 test examples)',
    facts: [
      ['model', result.model],
      ['task', result.task],
      ['examples', String(result.examples)],
    ],
    sections: evalSections(result, { curves: log ? parseMetricsLog(log) : undefined }),
  });
  const problems = [
    ...externalReferences(html),
    ...svgFragments(html).flatMap((s, i) => xmlProblems(s).map((p) => `chart ${i + 1}: ${p}`)),
  ];
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'report.html'), html);
  process.stdout.write(
    `wrote ${join(out, 'report.html')} (${html.length} bytes, ${svgFragments(html).length} charts)\n`,
  );
  if (problems.length > 0) {
    process.stderr.write(`report problems:\n  ${problems.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
