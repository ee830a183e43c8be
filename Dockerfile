# syntax=docker/dockerfile:1
# The one Careloop image: every service is `careloop run <service>` (see charts/careloop).
# Build stage: npm ci with Debian's librdkafka, Avro types, TypeScript, the intent model, then prune
# dev dependencies. Run stage: slim Node 20, non-root, read-only root file system friendly.

FROM node:20-bookworm AS build
# node-rdkafka links Debian's librdkafka instead of compiling its bundled copy.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librdkafka-dev g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN BUILD_LIBRDKAFKA=0 npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY schemas ./schemas
COPY scripts ./scripts
COPY platform ./platform
COPY stack ./stack
COPY cli ./cli
COPY ingest ./ingest
COPY stream-processors ./stream-processors
COPY profiling ./profiling
COPY delivery ./delivery
COPY perf ./perf
COPY test ./test
COPY workflows ./workflows
COPY deploy ./deploy
RUN sh deploy/image-steps.sh build /src \
 && sh deploy/image-steps.sh stage /src /app

FROM node:20-bookworm-slim AS run
# tini is PID 1: it forwards SIGTERM to node, which drains consumers and closes sockets (1001).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends librdkafka1 tini ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build --chown=root:root /app /app
COPY --from=build --chown=root:root /src/deploy/careloop.sh /usr/local/bin/careloop
# Files are root-owned and read-only to the service user; the only writable place is /tmp (an emptyDir).
USER 10001:10001
WORKDIR /app
ENV NODE_ENV=production CARELOOP_ENV=production CARELOOP_SERVICES_HOST=0.0.0.0 CARELOOP_STACK_DIR=/tmp/careloop
EXPOSE 3000 3001 9464
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/careloop"]
CMD ["run", "--help"]
