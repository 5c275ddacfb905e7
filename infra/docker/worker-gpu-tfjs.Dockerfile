# LRNAS Hub worker on an NVIDIA GPU through tfjs-node-gpu, the alternative to worker-gpu.Dockerfile's WebGPU:
# @tensorflow/tfjs-node-gpu 4.22.0, whose bundled libtensorflow
# 2.9.1 is built against CUDA 11.2 and cuDNN 8.1, on NVIDIA's CUDA 11.2 + cuDNN 8 runtime image.
# The host needs an NVIDIA driver >= 460 and the NVIDIA container toolkit. `--backend auto` takes
# node-gpu when TensorFlow sees a GPU (the presence record then says device GPU), else falls back
# to WebAssembly on CPU (LRNAS_BACKEND=node-gpu makes it fail instead). Build from the repository root:
#   docker build -f infra/docker/worker-gpu-tfjs.Dockerfile -t lrnas/worker-gpu-tfjs .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

# --- Node.js itself: the official build runs on Ubuntu 20.04's glibc 2.31 ----------------------
FROM ${NODE_IMAGE} AS nodejs

# --- tsx (a root dev dependency) at the lockfile's versions ------------------------------------
FROM ${NODE_IMAGE} AS tools
WORKDIR /app
COPY package.json package-lock.json ./
COPY schema/package.json schema/
COPY client/package.json client/
COPY services/engine/package.json services/engine/
COPY services/worker/package.json services/worker/
COPY services/gateway/package.json services/gateway/
COPY web/package.json web/
COPY infra/local/package.json infra/local/
COPY test/kit/package.json test/kit/
RUN npm ci --ignore-scripts --no-audit --no-fund \
  && npm rebuild esbuild

# --- deps: on the runtime's own base, so the native binding matches its glibc ------------------
FROM ${CUDA_IMAGE} AS deps
COPY --from=nodejs /usr/local/bin/node /usr/local/bin/node
COPY --from=nodejs /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
  && apt-get update \
  && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY schema/package.json schema/
COPY client/package.json client/
COPY services/engine/package.json services/engine/
COPY services/worker/package.json services/worker/
COPY services/gateway/package.json services/gateway/
COPY web/package.json web/
COPY infra/local/package.json infra/local/
COPY test/kit/package.json test/kit/
COPY infra/docker/workspace-subset.mjs /tmp/
# tfjs-node-gpu's install script downloads libtensorflow (GPU, 2.9.1) and its prebuilt N-API
# binding: this step needs the internet, the running image does not.
RUN node /tmp/workspace-subset.mjs --add @tensorflow/tfjs-node-gpu@4.22.0 schema client services/engine services/worker \
  && npm install --omit=dev --no-audit --no-fund \
  && find node_modules/@tensorflow/tfjs-node-gpu -name tfjs_binding.node | grep -q . \
  && find node_modules/@tensorflow/tfjs-node-gpu -name 'libtensorflow.so*' | grep -q . \
  && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM ${CUDA_IMAGE} AS runtime
ENV NODE_ENV=production \
  LRNAS_BACKEND=auto \
  LRNAS_DATA_DIR=/data \
  LRNAS_WORK_DIR=/work \
  LRNAS_METRICS_PORT=9464 \
  TSX_TSCONFIG_PATH=/app/tsconfig.runtime.json \
  NODE_OPTIONS=--enable-source-maps \
  TF_CPP_MIN_LOG_LEVEL=1 \
  TF_FORCE_GPU_ALLOW_GROWTH=true \
  NVIDIA_VISIBLE_DEVICES=all \
  NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
COPY --from=nodejs /usr/local/bin/node /usr/local/bin/node
RUN groupadd --gid 1000 lrnas \
  && useradd --uid 1000 --gid lrnas --no-create-home --shell /usr/sbin/nologin lrnas \
  && mkdir -p /data/data /work \
  && chown -R lrnas:lrnas /data /work
WORKDIR /app
COPY --from=tools /app/node_modules/tsx node_modules/tsx
COPY --from=tools /app/node_modules/esbuild node_modules/esbuild
COPY --from=tools /app/node_modules/@esbuild node_modules/@esbuild
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=deps /app/schema/package.json schema/
COPY --from=deps /app/client/package.json client/
COPY --from=deps /app/services/engine/package.json services/engine/
COPY --from=deps /app/services/worker/package.json services/worker/
COPY tsconfig.base.json tsconfig.runtime.json ./
COPY schema/src schema/src
# The engine's CLI logs to a hub through the client (lrnas ... --hub).
COPY client/src client/src
COPY services/engine/src services/engine/src
COPY services/engine/bin services/engine/bin
COPY services/worker/src services/worker/src
USER lrnas
EXPOSE 9464
VOLUME ["/data", "/work"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LRNAS_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "services/worker/src/main.ts"]
