# One image for every Phoenix app; choose the app with the APP build arg (or env at run time):
# gateway, router, mcp-worker, mcp-bridge, supervisor, memory-writer, n8n-bridge, ingest, replay, cli.
#   docker build --build-arg APP=router -t phoenix-router .
# Stdio MCP servers for the Helm chart's sidecars (mcp-bridge), pinned, installed at build time:
#   docker build --build-arg MCP_SERVER_PACKAGES="@hubspot/mcp-server@0.4.0 @sentry/mcp-server@0.39.0" -t phoenix-fleet .
# Node 22 LTS in containers; the code itself supports Node 20.19+.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# Toolchain for native modules that may need compiling from source (better-sqlite3).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# No install scripts except the native modules Phoenix uses (see "allowScripts" in package.json):
# better-sqlite3, and the optional librdkafka producer client built from its bundled source.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && (CKJS_LINKING=dynamic npm rebuild @confluentinc/kafka-javascript \
     || echo "optional librdkafka producer client not built: BUS_PRODUCER_CLIENT=confluent unavailable in this image")
COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
# The fleet's stdio MCP servers, each `name@exact.version`, into /app/mcp-servers (their commands on
# PATH), so a sidecar never downloads a server when its pod starts (no npx). Last in this stage:
# changing the list rebuilds only this layer. Install scripts are not run, as for Phoenix's own.
ARG MCP_SERVER_PACKAGES=""
RUN mkdir -p mcp-servers \
 && if [ -n "$MCP_SERVER_PACKAGES" ]; then \
      for p in $MCP_SERVER_PACKAGES; do \
        echo "$p" | grep -Eq '^(@[a-z0-9._~-]+/)?[a-z0-9._~-]+@[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$' \
          || { echo "MCP_SERVER_PACKAGES: '$p' is not pinned to an exact version (name@1.2.3)" >&2; exit 1; }; \
      done \
      && cd mcp-servers && npm init -y >/dev/null \
      && npm install --omit=dev --ignore-scripts --no-audit --no-fund --save-exact $MCP_SERVER_PACKAGES \
      && npm cache clean --force; \
    fi

FROM node:22-bookworm-slim
WORKDIR /app
# Shared libraries of the optional librdkafka client (OpenSSL, zlib); HAProxy for the gateway's
# edge (GATEWAY_EDGE=haproxy).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 zlib1g haproxy \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    PHOENIX_ENV=production \
    GATEWAY_HOST=0.0.0.0 \
    PHOENIX_DATA_DIR=/app/.data \
    PHOENIX_MODELS_DIR=/app/.data/models \
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true \
    PATH=/app/mcp-servers/node_modules/.bin:$PATH
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/dist dist
COPY --from=build --chown=node:node /app/schemas schemas
COPY --from=build --chown=node:node /app/config config
COPY --from=build --chown=node:node /app/n8n n8n
COPY --from=build --chown=node:node /app/bin bin
COPY --from=build --chown=node:node /app/mcp-servers mcp-servers
# Writable data directory (a volume in compose, a PVC or emptyDir on Kubernetes).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
# Last, so every app shares the layers above.
ARG APP=gateway
ENV APP=${APP}
EXPOSE 8080 9464
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
