# syntax=docker/dockerfile:1
# Rempart: multi-stage build, production dependencies only, runs as a non-root user.
# Node 22 LTS (maintained until April 2027; Node 20 reached its end in April 2026). Not 24
# yet: better-sqlite3 12, the last major that still runs on Node 20 (what CI tests), aborts
# the process on Node 24 ("Assertion failed: (env) != nullptr" from a Statement destructor;
# our suite reproduces it). Move to node:24 together with better-sqlite3 13 once Node 20
# support is dropped. test/production-set.test.ts holds this rule.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles its bundled SQLite when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY src ./src
COPY workers ./workers
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
# Videos are decoded by the distribution's maintained ffmpeg (security updates with the
# image), one process per video under CPU, memory, time and output limits; the ffmpeg of
# the npm package used by the tests is a development dependency and is not in this image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    REMPART_HOST=0.0.0.0 \
    REMPART_PORT=8080 \
    REMPART_DATA_DIR=/data \
    REMPART_FFMPEG=/usr/bin/ffmpeg
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.REMPART_PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
