# ftune services image (CPU): the six NestJS services and the `ftune` CLI, with the native TensorFlow
# backend built by the workspace's postinstall step (libtensorflow from the tensorflow wheel on PyPI; on the CPU here).
# Build from the repository root:
#   docker build -f k8s/images/services.Dockerfile -t ghcr.io/ftune/ftune-services:0.1.0 .
# The Helm chart runs it with args ["serve", "--service", NAME, "--port", PORT]; in the dev profile it also
# runs the CPU training Jobs (args ["train-job", "--run-id", ID, "--resume"]). Runs as user 10001 with a
# read-only root filesystem: only /tmp and the artifacts volume are written.

ARG NODE_IMAGE=node:22.23-bookworm-slim

# ---------------------------------------------------------------- build: dependencies and the native binding
FROM ${NODE_IMAGE} AS build
# python3 + pip fetch the libtensorflow wheel; g++/make build the tfjs-node addon with node-gyp.
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
RUN npm ci --no-audit --no-fund \
 && node apps/cli/bin/ftune.js backend \
 && npm cache clean --force

# ---------------------------------------------------------------- runtime
FROM ${NODE_IMAGE}
RUN groupadd --gid 10001 ftune \
 && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin ftune
COPY --from=build --chown=root:root /app /app
WORKDIR /app
ENV NODE_ENV=production \
    FTUNE_NATIVE_TF=skip \
    FTUNE_CACHE_DIR=/tmp/ftune-cache \
    TF_CPP_MIN_LOG_LEVEL=2 \
    PATH=/app/node_modules/.bin:$PATH
USER 10001:10001
EXPOSE 50051 50052 50053 50054 50055 50056
ENTRYPOINT ["node", "/app/apps/cli/bin/ftune.js"]
CMD ["--help"]
