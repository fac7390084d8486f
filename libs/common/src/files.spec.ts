import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from './errors';
import { readUserFile } from './files';

describe('readUserFile', () => {
  it('returns the text of a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ftune-common-'));
    const file = path.join(dir, 'a.txt');
    fs.writeFileSync(file, 'héllo\n');
    expect(readUserFile(file, 'notes')).toBe('héllo\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names what the file should hold and the error code when it cannot be read', () => {
    const missing = path.join(os.tmpdir(), 'ftune-no-such-file.yaml');
    expect(() => readUserFile(missing, 'run config')).toThrow(UserError);
    expect(() => readUserFile(missing, 'run config')).toThrow(`cannot read run config ${missing}: ENOENT`);
  });
});
