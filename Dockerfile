# The raftplane image: one binary (`raftplane kv` today; server and agent later).
#
#   scripts/build-image.sh                 # picks the base, builds raftplane:latest (offline)
#   docker build -t raftplane:latest .     # with node:20-bookworm-slim, where it can be pulled
#   docker build --build-arg BASE_IMAGE=raftplane-base:local -t raftplane:latest .
#
# The build is offline: the build stage compiles the TypeScript in the context with the
# context's own node_modules (installed by `npm install` on the host) and prunes them to the
# production dependencies with npm's --offline prune. Nothing is fetched from a registry.
# The base is any Node.js 20 image with npm and a shell: the official node:20-bookworm-slim,
# or the one scripts/make-base-image.sh makes from the host's Node.js when it cannot be pulled.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
LABEL dev.raftplane.stage=build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
COPY scripts/tsconfig.image.json ./scripts/
COPY node_modules ./node_modules
COPY proto ./proto
COPY cmd ./cmd
COPY internal ./internal
RUN node node_modules/typescript/bin/tsc -p scripts/tsconfig.image.json \
 && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund \
 && node dist/cmd/raftplane.js kv --help >/dev/null \
 && mkdir -p /out/var/lib/raftplane

FROM ${BASE_IMAGE}
ENV NODE_ENV=production \
    ETCD_DATA_DIR=/var/lib/raftplane/member \
    ETCD_LISTEN_CLIENT_URLS=http://0.0.0.0:2379 \
    ETCD_LISTEN_PEER_URLS=http://0.0.0.0:2380
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/proto ./proto
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build --chown=1000:1000 /out/var/lib/raftplane /var/lib/raftplane
USER node
EXPOSE 2379 2380
# etcd's /health on the client port: 200 once the member has a leader and no alarm.
HEALTHCHECK --interval=5s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.RAFTPLANE_HEALTH_URL||'http://127.0.0.1:2379/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cmd/raftplane.js"]
CMD ["kv"]
