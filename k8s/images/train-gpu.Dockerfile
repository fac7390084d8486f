# ftune training image for NVIDIA GPUs, on Ubuntu 24.04: the native TensorFlow backend built as every install
# builds it (libtensorflow 2.21 from the GPU-enabled `tensorflow` wheel on PyPI, the tfjs-node addon compiled
# against Node's headers by the postinstall step), with the CUDA 12 / cuDNN 9 libraries from the pinned
# nvidia-*-cu12 wheels (libs/compute/scripts/cuda-wheels.txt) installed by `npm run install:cuda` into
# /opt/ftune/cuda12 and linked where libtensorflow looks for them (docs/backends.md). The NVIDIA driver's
# libcuda.so.1 comes from the node: the NVIDIA container toolkit mounts it (`--gpus all`, or the device plugin on
# Kubernetes); CUDA 12.9 libraries need a driver of the R525 series or later (CUDA minor-version compatibility).
# Build from the repository root, on a network that reaches the npm registry and PyPI (nothing else):
#   docker build -f k8s/images/train-gpu.Dockerfile -t ghcr.io/ftune/ftune-train-gpu:0.1.0 .
# Check it on a GPU node:
#   docker run --rm --gpus all --entrypoint tools/gpu-check/run.sh ghcr.io/ftune/ftune-train-gpu:0.1.0
# The Helm chart runs it as the training Job (values-gpu.yaml) with FTUNE_BACKEND=tensorflow-gpu, as user 10001
# with a read-only root filesystem (only /tmp and the artifacts volume are written).

ARG NODE_IMAGE=node:22.23-bookworm-slim
ARG BASE_IMAGE=ubuntu:24.04

# ---------------------------------------------------------------- build: dependencies, the native binding, CUDA wheels
FROM ${NODE_IMAGE} AS build
# python3 + pip fetch the libtensorflow and CUDA wheels; g++/make build the tfjs-node addon with node-gyp.
# Versions follow the pinned base image's Debian release, so apt packages are not pinned one by one.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip g++ make ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json nx.json tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY tests/package.json ./tests/package.json
COPY proto ./proto
COPY tools ./tools
COPY examples ./examples
# install:cuda fails the build when the postinstall step left no native build (it never fails npm ci itself)
RUN npm ci --no-audit --no-fund \
 && FTUNE_CUDA_DIR=/opt/ftune/cuda12 npm run install:cuda \
 && node apps/cli/bin/ftune.js backend \
 && npm cache clean --force

# ---------------------------------------------------------------- runtime: Ubuntu 24.04, Node 22, the app, the CUDA wheels
FROM ${NODE_IMAGE} AS node
FROM ${BASE_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 10001 ftune && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin ftune
# node_modules/@tensorflow/tfjs-node/deps/nvidia links to /opt/ftune/cuda12/nvidia: both keep their paths
COPY --from=build --chown=root:root /opt/ftune/cuda12 /opt/ftune/cuda12
COPY --from=build --chown=root:root /app /app
WORKDIR /app
# CUDA_CACHE_PATH: the driver's PTX cache in the writable /tmp, as the root filesystem is read-only
ENV NODE_ENV=production \
    FTUNE_NATIVE_TF=skip \
    FTUNE_CACHE_DIR=/tmp/ftune-cache \
    TF_CPP_MIN_LOG_LEVEL=2 \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility \
    CUDA_CACHE_PATH=/tmp/cuda-cache \
    PATH=/app/node_modules/.bin:$PATH
USER 10001:10001
ENTRYPOINT ["node", "/app/apps/cli/bin/ftune.js"]
CMD ["backend", "--verbose"]
