# One image for every Phoenix app; choose the app with APP (gateway, router, …).
# Node 22 LTS in containers; the code itself supports Node 20.19+.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PHOENIX_ENV=production SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules node_modules
COPY --from=build --chown=node:node /app/dist dist
COPY --from=build --chown=node:node /app/schemas schemas
COPY --from=build --chown=node:node /app/config config
COPY --from=build --chown=node:node /app/bin bin
USER node
ARG APP=gateway
ENV APP=${APP}
EXPOSE 8080 9464
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
