#!/usr/bin/env node
// Prints the path of a helm binary, building the pinned one with `go install` when none is found.
// Order: $FTUNE_HELM, the cached build (~/.cache/ftune/bin/helm-<version>), a helm of exactly the
// pinned version on PATH. The build needs Go and the Go module proxy; the downloaded module must
// have the pinned checksum (go.sum's h1: hash, which Go also checks against its checksum database)
// before anything is built from it. The build is cached outside the repository.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, mkdirSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const os = require('node:os');

const VERSION = 'v3.21.4';
/** h1: hash of the helm.sh/helm/v3 module at VERSION (`go mod download -json`'s Sum). */
const MODULE_SUM = 'h1:T/GcIEXU/gNjJnkITlIZ3e9xqkZjhFTmISuStTZ6+Qg=';
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
  if (version('helm') === VERSION) return 'helm';
  const gobin = join(cacheDir, `build-${process.pid}`);
  mkdirSync(gobin, { recursive: true });
  process.stderr.write(`building helm ${VERSION} with go install (cached in ${cacheDir}) ...\n`);
  try {
    verifyModule('helm.sh/helm/v3', VERSION, MODULE_SUM);
    execFileSync('go', ['install', `helm.sh/helm/v3/cmd/helm@${VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, GOBIN: gobin, CGO_ENABLED: '0' },
    });
  } catch (e) {
    throw new Error(
      `cannot build helm ${VERSION}: ${e.code === 'ENOENT' ? 'Go is not installed' : e.message}`,
    );
  }
  renameSync(join(gobin, 'helm'), cached);
  return cached;
}

/** Downloads a Go module into the module cache and refuses it unless its h1: hash is `sum`. */
function verifyModule(path, version, sum) {
  const out = execFileSync('go', ['mod', 'download', '-json', `${path}@${version}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, GOFLAGS: '-mod=mod' },
  });
  const got = JSON.parse(out).Sum;
  if (got !== sum) throw new Error(`${path}@${version} has checksum ${got}, expected ${sum}`);
}

if (require.main === module) {
  try {
    process.stdout.write(ensure() + '\n');
  } catch (e) {
    process.stderr.write(`ensure-helm: ${e.message}\n`);
    process.exit(1);
  }
}
module.exports = { ensure, verifyModule, VERSION };
