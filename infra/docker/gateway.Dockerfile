# LRNAS Hub gateway: GraphQL API, event ingestion and the built dashboard (web/dist).
# Build from the repository root:
#   docker build -f infra/docker/gateway.Dockerfile -t lrnas/gateway .
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# --- build: the dashboard (Vite), with every dev dependency -----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
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
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.runtime.json ./
COPY schema/ schema/
COPY web/ web/
RUN npm run build -w @lrnas/web

# --- deps: production dependencies of schema + gateway only (native better-sqlite3 built here) --
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
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
RUN node /tmp/workspace-subset.mjs schema services/gateway \
  && npm install --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# --- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  PORT=4000 \
  LRNAS_DATA_DIR=/data \
  LRNAS_WEB_DIST=/app/web/dist \
  TSX_TSCONFIG_PATH=/app/tsconfig.runtime.json \
  NODE_OPTIONS=--enable-source-maps
WORKDIR /app
# tsx runs the TypeScript sources; it is a root dev dependency, so it comes from the build stage
# (exact lockfile versions; esbuild's binary package for this platform is under @esbuild/).
COPY --from=build /app/node_modules/tsx node_modules/tsx
COPY --from=build /app/node_modules/esbuild node_modules/esbuild
COPY --from=build /app/node_modules/@esbuild node_modules/@esbuild
COPY --from=deps /app/node_modules node_modules
COPY --from=deps /app/package.json ./
COPY --from=deps /app/schema/package.json schema/
COPY --from=deps /app/services/gateway/package.json services/gateway/
COPY tsconfig.base.json tsconfig.runtime.json ./
COPY schema/src schema/src
COPY schema/graphql schema/graphql
COPY services/gateway/src services/gateway/src
COPY --from=build /app/web/dist web/dist
# SQLite fallback and scratch space; with DATABASE_URL=postgres://... nothing is kept here.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 4000
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "services/gateway/src/main.ts"]
