#!/usr/bin/env node
// Prints the path of a kube-score binary (a third-party Kubernetes manifest checker), building the
// pinned version with `go install` from the Go module proxy when it is not cached. The module must
// have the pinned checksum before anything is built from it (as ensure-helm.js does for helm).
// Order: $FTUNE_KUBE_SCORE, the cached build (~/.cache/ftune/bin/kube-score-<version>).
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');
const { verifyModule } = require('./ensure-helm');

const VERSION = 'v1.20.0';
/** h1: hash of the github.com/zegl/kube-score module at VERSION (`go mod download -json`'s Sum). */
const MODULE_SUM = 'h1:J1VqK86SunV4Gg8emPTmwUVxe0rmXnAs5K9ZUbGMKR8=';
const cacheDir = join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'ftune', 'bin');
const cached = join(cacheDir, `kube-score-${VERSION}`);

function ensure() {
  if (process.env.FTUNE_KUBE_SCORE) return process.env.FTUNE_KUBE_SCORE;
  if (existsSync(cached)) return cached;
  const gobin = join(cacheDir, `build-${process.pid}`);
  mkdirSync(gobin, { recursive: true });
  process.stderr.write(`building kube-score ${VERSION} with go install (cached in ${cacheDir}) ...\n`);
  try {
    verifyModule('github.com/zegl/kube-score', VERSION, MODULE_SUM);
    execFileSync('go', ['install', `github.com/zegl/kube-score/cmd/kube-score@${VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
  } catch (e) {
    throw new Error(
      `cannot build kube-score ${VERSION}: ${e.code === 'ENOENT' ? 'Go is not installed' : e.message}`,
    );
  }
  renameSync(join(gobin, 'kube-score'), cached);
  return cached;
}

if (require.main === module) {
  try {
    process.stdout.write(ensure() + '\n');
  } catch (e) {
    process.stderr.write(`ensure-kube-score: ${e.message}\n`);
    process.exit(1);
  }
}
module.exports = { ensure, VERSION };
