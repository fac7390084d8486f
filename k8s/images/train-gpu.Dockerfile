# ftune training image for NVIDIA GPUs: the native TensorFlow backend through @tensorflow/tfjs-node-gpu 4.22,
# which binds libtensorflow 2.9.1 and so needs CUDA 11.2 and cuDNN 8.1 (CUDA 12 libraries do not satisfy it).
# Build from the repository root, on a network that reaches the npm registry and storage.googleapis.com
# (tfjs-node-gpu's install script downloads libtensorflow-gpu and its prebuilt addon from there):
#   docker build -f k8s/images/train-gpu.Dockerfile -t ghcr.io/ftune/ftune-train-gpu:0.1.0 .
# Check it on a GPU node:
#   docker run --rm --gpus all --entrypoint tools/gpu-check/run.sh ghcr.io/ftune/ftune-train-gpu:0.1.0
# The Helm chart runs it as the training Job (values-gpu.yaml) with FTUNE_BACKEND=tensorflow-gpu, as user 10001
# with a read-only root filesystem (only /tmp and the artifacts volume are written).

ARG NODE_IMAGE=node:22.23-bullseye
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

# ---------------------------------------------------------------- build: dependencies and the GPU binding
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
# The PyPI route of the postinstall step builds the CPU binding; this image uses the GPU package instead.
ENV FTUNE_NATIVE_TF=skip
RUN npm ci --no-audit --no-fund \
 && npm install --no-save --no-audit --no-fund --foreground-scripts @tensorflow/tfjs-node-gpu@4.22.0 \
 && test -e node_modules/@tensorflow/tfjs-node-gpu/deps/lib/libtensorflow.so.2 \
 && npm cache clean --force

# ---------------------------------------------------------------- runtime: CUDA 11.2 + cuDNN 8.1, Node, the app
FROM ${NODE_IMAGE} AS node
FROM ${CUDA_IMAGE}
COPY --from=node /usr/local/bin/node /usr/local/bin/node
COPY --from=node /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 10001 ftune && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin ftune
COPY --from=build --chown=root:root /app /app
WORKDIR /app
ENV NODE_ENV=production \
    FTUNE_NATIVE_TF=skip \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PATH=/app/node_modules/.bin:$PATH
USER 10001:10001
ENTRYPOINT ["node", "/app/apps/cli/bin/ftune.js"]
CMD ["backend", "--verbose"]
