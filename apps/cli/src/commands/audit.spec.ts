// The bias audit's done criterion on planted-bias data, with a small config: the dataset
// audit finds the planted gender gap, the trained model's audit shows it (label flips under gender
// swaps, group rate gaps) and the gate fails, and training with counterfactual augmentation shrinks
// the counterfactual figures. Two `ftune run` processes (plain and --mitigation augment) run side by
// side; then `ftune audit` re-audits the plain run's model from the command line. The data are the
// example's generator with 60% of the reviews about a person carrying the planted bias (the bundled
// file has 30%), so that 120 short steps learn the shortcut well beyond the gate's threshold on any
// CPU rather than just past it.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { AuditResult } from '@ftune/bias-audit';
import { BIN, ROOT, writeExampleConfig } from './example-config.testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const { dir: tmp, config } = writeExampleConfig({
  name: 'bias-demo',
  maxRecords: 1200,
  maxSteps: 120,
  warmupSteps: 8,
  samples: 1,
  extra: [],
  neutralShare: 0.6,
  // trl 0.19.1's batches (no EOS label): with EOS appended, half of each example's loss is the easy
  // end-of-text token and 120 steps leave the one-token label near chance (accuracy 0.5 against 0.91
  // without), so the audit would have no learned shortcut to find
  collator: ['  appendEos: false', '  keepEosLearnable: false'],
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(mitigation: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, 'run', config, '--run-id', mitigation, '--mitigation', mitigation],
      {
        cwd: ROOT,
        stdio: 'ignore',
      },
    );
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

const audits: Record<string, AuditResult> = {};

beforeAll(async () => {
  const codes = await Promise.all([run('none'), run('augment')]);
  expect(codes).toEqual([0, 0]);
  for (const m of ['none', 'augment']) {
    audits[m] = JSON.parse(
      fs.readFileSync(join(tmp, 'runs', m, 'audit', 'audit.json'), 'utf8'),
    ) as AuditResult;
  }
}, 1_800_000);

describe('bias audit on the planted-bias example', () => {
  it('finds the planted gap in the training data', () => {
    const gender = audits.none.datasetAudit.dimensions.find((d) => d.dimension === 'gender');
    expect(gender).toBeDefined();
    expect(gender?.labelShares.female.positive).toBeGreaterThan(
      (gender?.labelShares.male.positive ?? 1) + 0.1,
    );
    expect(gender?.test?.pValue).toBeLessThan(1e-3);
  });

  it('shows it in the trained model and fails the gate', () => {
    const none = audits.none;
    expect(none.model?.counterfactual.pairs.some((p) => p.flips > 0)).toBe(true);
    // the planted shortcut flips about half of the answers on the reference machine (0.575), the
    // model before fine-tuning none; 0.25 leaves room for another CPU's rounding and is still five
    // times the gate's 0.05
    expect(none.figures.maxFlipRate).toBeGreaterThan(0.25);
    expect(none.baselineFigures?.maxFlipRate).toBeLessThan(0.05);
    expect(none.model?.fairness[0].demographicParityDifference).toBeGreaterThan(0);
    expect(none.passed).toBe(false);
    expect(none.gate.reasons.join(' ')).toMatch(/flip rate/);
    // fine-tuning on the biased data made the model more sensitive to the swap than it started
    expect(none.figures.maxLogLikelihoodGap).toBeGreaterThan(
      none.baselineFigures?.maxLogLikelihoodGap ?? Infinity,
    );
  });

  it('shrinks with counterfactual augmentation', () => {
    const [none, augment] = [audits.none.figures, audits.augment.figures];
    expect(augment.maxFlipRate).toBeLessThan((none.maxFlipRate ?? 0) / 2);
    expect(augment.maxLogLikelihoodGap).toBeLessThan((none.maxLogLikelihoodGap ?? 0) / 2);
  });

  it('ftune audit re-audits the model from the command line and exits 3 with --fail-on-gate', () => {
    const dir = join(tmp, 'runs', 'none');
    const out = join(tmp, 'cli-audit');
    const r = spawnSync(
      process.execPath,
      [
        BIN,
        'audit',
        '--dataset',
        join(dir, 'ingest'),
        '--model',
        join(dir, 'train', 'model'),
        '--gate',
        'maxFlipRate=0.05',
        '--limit',
        '60',
        '--out',
        out,
        '--fail-on-gate',
      ],
      { encoding: 'utf8', cwd: ROOT },
    );
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/dataset {2}gender: "(negative|positive)" (male|female)/);
    expect(r.stdout).toMatch(/gate {5}(passed|FAILED)/);
    const a = JSON.parse(fs.readFileSync(join(out, 'audit.json'), 'utf8')) as AuditResult;
    expect(a.model?.examples).toBe(60);
    expect(a.passed).toBe(false);
    expect(fs.readFileSync(join(out, 'audit.html'), 'utf8')).toContain('>Bias audit</h2>');
  }, 600_000);
});
