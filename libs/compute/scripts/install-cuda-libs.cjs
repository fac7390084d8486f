#!/usr/bin/env node
// Installs the CUDA 12 / cuDNN 9 libraries the native build needs to compute on an NVIDIA GPU: the pinned
// nvidia-*-cu12 wheels of cuda-wheels.txt, with pip (--require-hashes, --no-deps) into one prefix, then links
// node_modules/@tensorflow/tfjs-node/deps/nvidia to <prefix>/nvidia, where libtensorflow's RUNPATH
// ($ORIGIN/../nvidia/<wheel>/lib) finds them, as it finds them in a Python site-packages (docs/backends.md).
// The prefix: FTUNE_CUDA_DIR, else <cache>/cuda12-<hash of the pins>; a prefix already holding these pins is reused.
// Unlike the native build it fails loudly: it runs only when asked (`npm run install:cuda`, the GPU image).
// Needs python3 with pip; the NVIDIA driver (libcuda.so.1) is the host's, not installed here.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { cacheRoot, rmrf, run, target, MARKER: NATIVE_MARKER } = require('./install-native-tf.cjs');

const pins = path.join(__dirname, 'cuda-wheels.txt');
const pinsHash = crypto.createHash('sha256').update(fs.readFileSync(pins)).digest('hex').slice(0, 12);
const prefix = process.env.FTUNE_CUDA_DIR
  ? path.resolve(process.env.FTUNE_CUDA_DIR)
  : path.join(cacheRoot, `cuda12-${pinsHash}`);
const MARKER = '.ftune-cuda.json';
const link = path.join(target, 'deps', 'nvidia');

function log(message) {
  process.stdout.write(`ftune cuda: ${message}\n`);
}

function installedPins() {
  try {
    return JSON.parse(fs.readFileSync(path.join(prefix, MARKER), 'utf8')).pins;
  } catch {
    return undefined;
  }
}

function install() {
  if (fs.existsSync(prefix) && fs.readdirSync(prefix).length > 0 && installedPins() === undefined) {
    throw new Error(
      `${prefix} exists and holds something else; refusing to replace it (set FTUNE_CUDA_DIR to an empty or new folder)`,
    );
  }
  const staging = `${prefix}.tmp-${process.pid}`;
  rmrf(staging);
  const started = Date.now();
  log(`installing the pinned CUDA 12 / cuDNN 9 wheels into ${prefix} (a few GB; minutes)`);
  try {
    run('python3', [
      '-m',
      'pip',
      'install',
      '--no-deps',
      '--require-hashes',
      '--only-binary=:all:',
      '--no-compile',
      '--disable-pip-version-check',
      '--no-cache-dir',
      '--timeout',
      '120',
      '--target',
      staging,
      '-r',
      pins,
    ]);
    fs.writeFileSync(
      path.join(staging, MARKER),
      `${JSON.stringify({ pins: pinsHash, installedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    rmrf(prefix);
    fs.mkdirSync(path.dirname(prefix), { recursive: true });
    fs.renameSync(staging, prefix);
  } finally {
    rmrf(staging);
  }
  log(`installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

/** The shared libraries each wheel brought, by folder under nvidia/ (what the chooser will look for). */
function libraries() {
  const root = path.join(prefix, 'nvidia');
  return fs
    .readdirSync(root)
    .filter((w) => fs.existsSync(path.join(root, w, 'lib')))
    .map(
      (w) =>
        `${w}: ${fs
          .readdirSync(path.join(root, w, 'lib'))
          .filter((f) => /\.so\.\d+$/.test(f))
          .join(' ')}`,
    );
}

function main() {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the CUDA wheels are for linux-x64, this is ${process.platform}-${process.arch}`);
  if (!fs.existsSync(path.join(target, NATIVE_MARKER))) {
    throw new Error(`${target} is not ftune's native build; run \`npm run install:native-tf\` first`);
  }
  if (installedPins() === pinsHash) log(`reusing ${prefix}`);
  else install();
  rmrf(link);
  fs.symlinkSync(path.join(prefix, 'nvidia'), link);
  log(`linked ${path.relative(process.cwd(), link)} -> ${path.join(prefix, 'nvidia')}`);
  for (const line of libraries()) log(`  ${line}`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`ftune cuda: ERROR: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
