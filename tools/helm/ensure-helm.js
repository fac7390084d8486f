#!/usr/bin/env node
// Prints the path of a helm binary, building a pinned one with `go install` when none is found.
// Order: $FTUNE_HELM, the cached build (~/.cache/ftune/bin/helm-<version>), a Helm 3 on PATH. The build needs Go and the Go module proxy; it is cached outside the repository.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');

const VERSION = 'v3.22.0';
const cacheDir = join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'ftune', 'bin');
const cached = join(cacheDir, `helm-${VERSION}`);

function version(bin) {
  try {
    return execFileSync(bin, ['version', '--short'], { encoding: 'utf8' }).trim().split('+')[0];
  } catch {
    return null;
  }
}

function ensure() {
  if (process.env.FTUNE_HELM) return process.env.FTUNE_HELM;
  if (existsSync(cached) && version(cached) !== null) return cached;
  if ((version('helm') ?? '').startsWith('v3.')) return 'helm';
  const gobin = join(cacheDir, `build-${process.pid}`);
  mkdirSync(gobin, { recursive: true });
  process.stderr.write(`building helm ${VERSION} with go install (cached in ${cacheDir}) ...\n`);
  try {
    execFileSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
  } catch (e) {
    throw new Error(`cannot build helm ${VERSION}: ${e.code === 'ENOENT' ? 'Go is not installed' : e.message}`);
  }
  renameSync(join(gobin, 'helm'), cached);
  return cached;
}

if (require.main === module) {
  try {
    process.stdout.write(ensure() + '\n');
  } catch (e) {
    process.stderr.write(`ensure-helm: ${e.message}\n`);
    process.exit(1);
  }
}
module.exports = { ensure, VERSION };
