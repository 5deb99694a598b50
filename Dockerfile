# syntax=docker/dockerfile:1
# Built from the repository root (the Helm chart's README runs `docker build -t pcap-analyzer:latest ../../`
# from charts/pcap-analyzer). No Docker engine in CI: scripts/dockerfile-rehearsal.mjs replays the build
# steps and starts the result.

# --- Build: every dependency, then the browser app (dist/app) and the Node hosts (dist/node) ---------
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build

# --- Production dependencies only, installed apart from the build ------------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

# --- Runtime -------------------------------------------------------------------------------------------
# Runs as uid 1000 (the image's `node` user), nothing written outside /data and /tmp, so the chart's
# read-only root filesystem works. sh and df come with the base image; curl is added for the
# HEALTHCHECK and the README's in-pod checks (`curl localhost:8000/api/health`, `curl -F file=@…`).
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production PORT=8000 DATA_DIR=/data TMPDIR=/tmp
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN mkdir -p /data && chown 1000:1000 /data
USER 1000:1000
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS "http://localhost:${PORT}/api/health" > /dev/null || exit 1
CMD ["node", "dist/node/server.js"]
