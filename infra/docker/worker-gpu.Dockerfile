# LRNAS Hub worker on a GPU through WebGPU: Dawn (npm `webgpu`, in the engine's dependencies) drives the GPU
# through Vulkan, so the image needs the Vulkan loader (libvulkan1) and nothing of CUDA. The host needs the
# vendor's driver; on NVIDIA, the NVIDIA container toolkit with the `graphics` driver capability, which mounts
# the driver's Vulkan ICD into the container. `--backend auto` takes webgpu when Dawn finds a hardware adapter
# (the worker's log and `lrnas backend` name it), else wasm; LRNAS_BACKEND=webgpu makes it fail instead.
# tfjs-node-gpu (CUDA 11.2) stays possible: worker-gpu-tfjs.Dockerfile. Build from the repository root:
#   docker build -f infra/docker/worker-gpu.Dockerfile -t lrnas/worker-gpu .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

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

# --- deps: production dependencies of schema + engine + worker only ----------------------------
FROM ${NODE_IMAGE} AS deps
ARG TFJS_NODE=""
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
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
RUN node /tmp/workspace-subset.mjs ${TFJS_NODE:+--add "$TFJS_NODE"} schema client services/engine services/worker \
  && npm install --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# The Vulkan loader Dawn opens; the GPU's ICD comes from the host driver (NVIDIA: the container toolkit).
RUN apt-get update \
  && apt-get install -y --no-install-recommends libvulkan1 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
  NVIDIA_VISIBLE_DEVICES=all \
  NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics \
  LRNAS_BACKEND=auto \
  LRNAS_DATA_DIR=/data \
  LRNAS_WORK_DIR=/work \
  LRNAS_METRICS_PORT=9464 \
  TSX_TSCONFIG_PATH=/app/tsconfig.runtime.json \
  NODE_OPTIONS=--enable-source-maps
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
# /data: data sets (CIFAR, SVHN files under /data/data); /work: scratch of running jobs. Results
# live in JetStream's object store, so neither needs to outlive the container.
RUN mkdir -p /data/data /work && chown -R node:node /data /work
USER node
EXPOSE 9464
VOLUME ["/data", "/work"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.LRNAS_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: the worker checkpoints, hands its jobs back and exits 0 (allow it time to upload).
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "services/worker/src/main.ts"]
