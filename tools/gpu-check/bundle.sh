#!/usr/bin/env bash
# Packs the GPU check for a GPU machine without this workspace or a network: the Node binary (xz) and
# tools/gpu-check/probe.ts bundled with esbuild (tfjs-core and the wasm backend inlined, the native package left
# out). With --native it adds node_modules.tar: the native build (node_modules/@tensorflow/tfjs-node, ~1 GB) with
# the packages it depends on, and the CUDA 12 / cuDNN 9 wheels it is linked to (its deps/nvidia, from
# `npm run install:cuda`; a few GB), so that a machine with only CUDA 13 libraries, or none, runs the native GPU
# path (its driver is all it needs). tfjs-core keeps one engine in the global namespace, so the inlined copy and
# the native package's share it. Output: the folder given (default .gpucheck/). There:
#   [tar xf node_modules.tar &&] xz -dc node.xz > node && chmod +x node && ./node probe.js
set -euo pipefail
cd "$(dirname "$0")/../.."
native=0
if [ "${1:-}" = --native ]; then native=1; shift; fi
out="${1:-.gpucheck}"
mkdir -p "$out"
npx esbuild tools/gpu-check/probe.ts --bundle --platform=node --format=cjs --log-level=warning \
  --external:@tensorflow/tfjs-node --outfile="$out/probe.js"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
xz -T2 -6 -c "$(command -v node)" > "$out/node.xz"
if [ "$native" = 0 ]; then du -sh "$out"; exit 0; fi
# the native package's folder and its dependencies', each found as Node finds it (node_modules up the tree)
list=$(mktemp)
trap 'rm -f "$list"' EXIT
node -e '
  const fs = require("fs"), path = require("path");
  const root = process.cwd(), seen = new Set();
  const find = (name, from) => {
    for (let d = from; ; d = path.dirname(d)) {
      const dir = path.join(d, "node_modules", name);
      if (fs.existsSync(path.join(dir, "package.json"))) return dir;
      if (d === path.dirname(d)) return undefined;
    }
  };
  const visit = (name, from) => {
    const dir = find(name, from);
    // tfjs-node names its install script'"'"'s packages too (adm-zip, tar, ...): not installed, not needed to run
    if (dir === undefined) return void process.stderr.write(`not packed: ${name} (needed by ${from}; not installed)\n`);
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir);
  };
  visit("@tensorflow/tfjs-node", root);
  visit("long", root); // @tensorflow/tfjs requires it without naming it (hoisted from tfjs-core in the workspace)
  for (const dir of seen) console.log(path.relative(root, dir));
' > "$list"
nvidia=node_modules/@tensorflow/tfjs-node/deps/nvidia
[ -L "$nvidia" ] || { echo "no CUDA wheels linked at $nvidia: run npm run install:cuda first" >&2; exit 1; }
wheels=$(readlink -f "$nvidia")
# the wheels' folder goes in as deps/nvidia itself (S: symbolic link targets inside it stay as they are)
tar cf "$out/node_modules.tar" --exclude="$nvidia" --transform "s,^$(basename "$wheels"),$nvidia,S" \
  -T "$list" -C "$(dirname "$wheels")" "$(basename "$wheels")"
echo "$(wc -l < "$list") packages"
du -sh "$out"
