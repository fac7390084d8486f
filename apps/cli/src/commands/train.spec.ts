// `ftune train` end to end (a real process): config validation messages, and a two-step run of the
// GPT-Neo tiny preset on a four-record ingested dataset that leaves metrics, checkpoints and model/.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..', '..', '..', '..');
const BIN = path.join(ROOT, 'apps', 'cli', 'bin', 'ftune.js');
let dir = '';

function ftuneTrain(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'train', ...args], { encoding: 'utf8', cwd: dir });
  return {
    status: r.status,
    stdout: r.stdout,
    errors: r.stderr.split('\n').filter((l) => l.startsWith('ftune:')),
  };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-cli-train-'));
  const data = path.join(dir, 'data');
  fs.mkdirSync(data);
  const line = (i: number): string =>
    `${JSON.stringify({ prompt: `Is ${i} even?`, completion: i % 2 ? 'no' : 'yes' })}\n`;
  fs.writeFileSync(path.join(data, 'train.jsonl'), [0, 1, 2, 3].map(line).join(''));
  fs.writeFileSync(path.join(data, 'validation.jsonl'), [4, 5].map(line).join(''));
  fs.writeFileSync(path.join(data, 'test.jsonl'), '');
  const split = (records: number) => ({ records, sha256: '' });
  fs.writeFileSync(
    path.join(data, 'manifest.json'),
    JSON.stringify({ version: 1, splits: { train: split(4), validation: split(2), test: split(0) } }),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ftune train', () => {
  it('rejects a bad config value or a missing field in one line naming it', { timeout: 120_000 }, () => {
    fs.writeFileSync(path.join(dir, 'bad.yaml'), 'model: tiny\ndataset: data\nout: run\nbatch_size: 0\n');
    const bad = ftuneTrain(['--config', 'bad.yaml']);
    expect(bad.status).toBe(2);
    expect(bad.errors).toEqual(['ftune: bad.yaml: batch_size must be >= 1']);
    const missing = ftuneTrain(['--model', 'tiny', '--out', 'run']);
    expect(missing.errors).toEqual(['ftune: train options: missing required field "dataset"']);
  });

  it(
    'trains the tiny preset and writes metrics, a checkpoint and a Hugging Face model folder',
    { timeout: 300_000 },
    () => {
      fs.writeFileSync(
        path.join(dir, 'train.yaml'),
        'model: tiny\ndataset: data\nout: run\nbatch_size: 2\nsave_steps: 2\n',
      );
      const r = ftuneTrain([
        '--config',
        'train.yaml',
        '--max-steps',
        '2',
        '--response-template',
        '### Answer:',
      ]);
      expect(r.errors).toEqual([]);
      expect(r.status).toBe(0);
      const result = JSON.parse(r.stdout) as {
        status: string;
        globalStep: number;
        lastEval: { step: number };
      };
      expect(result).toMatchObject({ status: 'completed', globalStep: 2, lastEval: { step: 2 } });
      const metrics = fs
        .readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8')
        .trim()
        .split('\n');
      expect(metrics.map((l) => Object.keys(JSON.parse(l)).includes('loss'))).toEqual([true, true, false]);
      expect(fs.readdirSync(path.join(dir, 'run')).sort()).toEqual([
        'checkpoint-2',
        'metrics.jsonl',
        'model',
        'tensorboard',
        'training_summary.json',
      ]);
      expect(fs.readdirSync(path.join(dir, 'run', 'tensorboard'))).toEqual([
        expect.stringMatching(/^events\.out\.tfevents\./),
      ]);
      expect(fs.existsSync(path.join(dir, 'run', 'model', 'tokenizer.json'))).toBe(true);
    },
  );
});
