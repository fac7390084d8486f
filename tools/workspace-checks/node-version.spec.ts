// The supported Node is named in four places that must agree: package.json `engines`, .nvmrc, the
// bootstrap CI uses on older machines (tools/node/ensure-node.js) and the images' base (k8s/images).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const ensureNode = createRequire(__filename)(join(ROOT, 'tools', 'node', 'ensure-node.js')) as {
  supported(version: string): boolean;
  VERSION: string;
};
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the supported Node', () => {
  it('is Node 22 LTS from 22.12 on, as package.json engines says', () => {
    expect(JSON.parse(read('package.json')).engines.node).toBe('>=22.12');
    expect(ensureNode.supported('v20.20.2')).toBe(false);
    expect(ensureNode.supported('22.11.9')).toBe(false);
    expect(ensureNode.supported('22.12.0')).toBe(true);
    expect(ensureNode.supported('24.1.0')).toBe(true);
  });

  it('is pinned to one release in .nvmrc, the bootstrap and both images', () => {
    const [major, minor] = ensureNode.VERSION.split('.');
    expect(ensureNode.supported(ensureNode.VERSION)).toBe(true);
    expect(read('.nvmrc').trim()).toBe(ensureNode.VERSION);
    for (const image of ['services.Dockerfile', 'train-gpu.Dockerfile']) {
      const base = /^ARG NODE_IMAGE=node:(\d+)\.(\d+)-/m.exec(read(join('k8s', 'images', image)));
      expect(base?.slice(1), image).toEqual([major, minor]);
    }
  });
});
