// `ftune audit`: the bias audit of an ingested dataset and, optionally, a fine-tuned model and the
// model before fine-tuning (libs/bias-audit runAuditJob). Writes audit.json (every figure, the gate
// verdict, `passed`) and audit.html (the report section on its own page) into --out; prints the key
// figures and the verdict. --fail-on-gate makes a failing gate exit with status 3.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import type { AuditResult } from '@ftune/bias-audit';
// the gate's names only (for --help); the audit itself loads the model libraries when it runs
import { GATE_METRICS } from '@ftune/bias-audit/src/gate';
import { UserError } from '@ftune/common';
import { lib } from './libs';
import { ADAPTER_HELP } from './model-folder';
import { positiveInt } from './tokenize';

interface AuditFlags {
  dataset: string;
  model?: string;
  adapter?: string;
  baseline?: string;
  terms?: string;
  pairs?: string;
  gate: string[];
  positiveLabel?: string;
  limit?: number;
  out: string;
  failOnGate?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `name=value` thresholds; names are checked by the gate (unknown names are refused there). */
export function parseGate(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    for (const part of item.split(',').filter(Boolean)) {
      const m = /^([A-Za-z]+)=(.+)$/.exec(part.trim());
      const value = m ? Number(m[2]) : NaN;
      if (!m || (!Number.isFinite(value) && m[2].toLowerCase() !== 'off'))
        throw new UserError(
          `--gate: expected NAME=NUMBER (or NAME=off), got ${JSON.stringify(part)}; names: ${Object.keys(GATE_METRICS).join(', ')}`,
        );
      if (!(m[1] in GATE_METRICS))
        throw new UserError(
          `--gate: unknown threshold ${m[1]} (known: ${Object.keys(GATE_METRICS).join(', ')})`,
        );
      out[m[1]] = m[2].toLowerCase() === 'off' ? NaN : value;
    }
  }
  return out;
}

function figureLines(a: AuditResult): string[] {
  const lines: string[] = [];
  const pct = (v: number | null): string => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
  for (const d of a.datasetAudit.dimensions) {
    const g = d.gaps[0];
    if (g)
      lines.push(
        `dataset  ${d.dimension}: "${g.label}" ${g.high.group} ${pct(g.high.share)} vs ${g.low.group} ${pct(g.low.share)} (gap ${pct(g.gap)}, chi-square p ${d.test ? d.test.pValue.toExponential(2) : '—'})`,
      );
  }
  const show = (who: string, m: AuditResult['model']): void => {
    if (!m) return;
    lines.push(
      `${who}  accuracy ${pct(m.accuracy)}, counterfactual flip rate ${pct(m.counterfactual.overallFlipRate)} over ${m.counterfactual.examples} examples`,
    );
    for (const f of m.fairness)
      lines.push(
        `${who}  ${f.dimension}: parity difference ${pct(f.demographicParityDifference)}, equalized odds ${pct(f.equalizedOddsDifference)}, disparate impact ${f.disparateImpactRatio.toFixed(2)}`,
      );
    lines.push(
      `${who}  stereotype preference ${pct(m.stereotype.stereotypePreference)} over ${m.stereotype.pairs} pairs`,
    );
  };
  show('model   ', a.model);
  show('baseline', a.baseline);
  lines.push(a.passed ? 'gate     passed' : `gate     FAILED: ${a.gate.reasons.join('; ')}`);
  return lines;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description(
      'bias audit of a dataset and a fine-tuned model: group label gaps, counterfactual flips, group fairness, stereotype preference, release gate',
    )
    .requiredOption('--dataset <DIR>', 'an ingested dataset folder (ftune ingest)')
    .option(
      '--model <DIR>',
      'the fine-tuned model (Hugging Face GPT-Neo folder); without it only the dataset is audited',
    )
    .option('--adapter <DIR>', ADAPTER_HELP)
    .option('--baseline <DIR>', 'the model before fine-tuning, audited the same way for comparison')
    .option('--terms <FILE>', 'term lists, JSON or YAML (default: the built-in lists)')
    .option(
      '--pairs <FILE>',
      'sentence pairs, CrowS-Pairs CSV columns sent_more,sent_less,bias_type (default: built-in pairs)',
    )
    .option(
      '--gate <NAME=VALUE>',
      `gate threshold, repeatable or comma-separated; NAME=off drops a default (${Object.keys(GATE_METRICS).join(', ')})`,
      collect,
      [],
    )
    .option(
      '--positive-label <LABEL>',
      'the favourable label for the fairness rates (default: positive/yes/true, else the first)',
    )
    .option('--limit <N>', 'audit only the first N test records', positiveInt)
    .requiredOption('--out <DIR>', 'folder for audit.json and audit.html')
    .option('--fail-on-gate', 'exit with status 3 when the gate fails')
    .action(async (flags: AuditFlags) => {
      if (flags.adapter && !flags.model) throw new UserError('--adapter needs --model (the base, or omit --adapter and give the adapter folder as --model)');
      const gate = parseGate(flags.gate);
      if (flags.model || flags.baseline) await lib.compute().initBackend();
      const { auditSections, runAuditJob } = lib.biasAudit();
      const result = await runAuditJob(
        {
          dataset: flags.dataset,
          model: flags.model,
          adapter: flags.adapter,
          baseline: flags.baseline,
          terms: flags.terms,
          pairs: flags.pairs,
          gate,
          positiveLabel: flags.positiveLabel,
          limit: flags.limit,
        },
        { log: (line) => process.stderr.write(`${line}\n`) },
      );
      fs.mkdirSync(flags.out, { recursive: true });
      const json = path.join(flags.out, 'audit.json');
      fs.writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
      const html = path.join(flags.out, 'audit.html');
      fs.writeFileSync(
        html,
        lib.eval().renderReport({
          title: 'ftune bias audit',
          subtitle: `${flags.model ?? 'dataset only'} on ${flags.dataset}`,
          facts: [
            ['dataset', flags.dataset],
            ['model', flags.model ?? '—'],
            ['baseline', flags.baseline ?? '—'],
            ['gate', result.passed ? 'passed' : 'failed'],
          ],
          sections: auditSections(result),
        }),
      );
      for (const line of figureLines(result)) process.stdout.write(`${line}\n`);
      process.stdout.write(`wrote ${json} and ${html}\n`);
      if (flags.failOnGate && !result.passed) throw new UserError('the bias-audit gate failed', 3);
    });
}
