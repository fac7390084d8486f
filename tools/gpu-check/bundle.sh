#!/usr/bin/env bash
# Packs the GPU probe for a GPU machine without this workspace installed: the Node binary (xz) and
# tools/gpu-check/probe.ts bundled with esbuild (tfjs-core and the wasm backend inlined, native
# TensorFlow packages left to the machine). Output: the folder given (default .gpucheck/).
# There: `xz -dc node.xz > node && chmod +x node && ./node probe.js`.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-.gpucheck}"
mkdir -p "$out"
npx esbuild tools/gpu-check/probe.ts --bundle --platform=node --format=cjs --log-level=warning \
  --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu --outfile="$out/probe.js"
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
xz -T2 -6 -c "$(command -v node)" > "$out/node.xz"
du -sh "$out"
