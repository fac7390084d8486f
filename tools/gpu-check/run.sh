#!/usr/bin/env bash
# GPU check: which backend ftune chooses here (and why it skipped the others), a float32 matmul GFLOP/s figure
# and the GPT-Neo training-step tokens/s (small: batch 8 × seq 128; gpt-neo-125m: batch 1 × seq 256) on that
# backend. Runs wherever a GPU may be -- a GPU node, or the GPU image:
#   docker run --rm --gpus all --entrypoint tools/gpu-check/run.sh ghcr.io/ftune/ftune-train-gpu:0.1.0
# or a checkout after `npm ci && npm run install:cuda` (the CUDA 12 / cuDNN 9 wheels beside the native build;
# the machine's own CUDA 12 or 13 toolkit is not used, only its driver). Without a GPU, or with a library
# missing, the first section names what is missing and the rest measures the fallback. A few minutes at most.
set -uo pipefail
cd "$(dirname "$0")/../.."
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
tsx=(node --require tsx/cjs)
worker=(tools/bench/compute/bench.ts --worker)

echo "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo "nvidia-smi: not available"

echo "== CUDA libraries the native build needs, and where each was found (tools/gpu-check/probe.ts)"
"${tsx[@]}" tools/gpu-check/probe.ts | grep -E '^(gpu|cuda|missing):' || echo "probe failed"

echo "== backend (ftune backend --verbose)"
info=$(node apps/cli/bin/ftune.js backend --verbose) || { echo "backend choice failed"; exit 1; }
echo "$info"
candidate=$(node -e '
  const i = JSON.parse(process.argv[1]);
  console.log(i.device === "gpu" ? "tensorflow-gpu" : i.backend);' "$info")
case "$candidate" in
  tensorflow-gpu) n=4096 ;;
  tensorflow) n=1024 ;;
  *) n=512 ;;
esac

echo "== matmul ${n}x${n} float32 on ${candidate}"
"${tsx[@]}" "${worker[@]}" matmul --backend "$candidate" --n "$n" | node -e '
  const r = JSON.parse(require("fs").readFileSync(0, "utf8").trim().split("\n").pop());
  console.log(`${r.backend} (${r.threads} threads): ${r.gflops.toFixed(1)} GFLOP/s (${(r.seconds * 1000).toFixed(1)} ms)`);'

for spec in "small 8 128" "gpt-neo-125m 1 256"; do
  set -- $spec
  echo "== training step $1 (batch $2 x seq $3; forward, backward, AdamW) on ${candidate}"
  "${tsx[@]}" "${worker[@]}" train --backend "$candidate" --size "$1" --batch "$2" --seq "$3" --warmup 1 --steps 3 | node -e '
    const r = JSON.parse(require("fs").readFileSync(0, "utf8").trim().split("\n").pop());
    console.log(`${r.tokens_per_s.toFixed(1)} tokens/s (${r.step_s.toFixed(3)} s/step, ${r.parameters} parameters, loss ${r.loss_first.toFixed(3)} -> ${r.loss_last.toFixed(3)})`);'
done
