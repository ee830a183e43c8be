#!/usr/bin/env bash
# Makes the checkout runnable: system packages the npm install needs, `npm ci` when node_modules is
# missing or older than the lockfile, then an incremental TypeScript build. Quiet when nothing to do.
set -euo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
cd "$root"

if [ "${1:-}" = "--help" ]; then
  echo "Usage: scripts/ensure-built.sh   installs npm dependencies if needed and builds dist/"
  echo "  The build is skipped when no source, schema, corpus or lockfile is newer than dist/.build-stamp."; exit 0
fi

stamp=dist/.build-stamp
# What the build reads: every compiled folder, the tsconfig, the lockfiles (an npm install touches node_modules/.package-lock.json).
sources=(platform stack cli ingest stream-processors profiling delivery schemas perf test scripts workflows portal tsconfig.json package-lock.json)
stale_inputs() {
  [ ! -f "$stamp" ] && return 0
  [ -n "$(find "${sources[@]}" node_modules/.package-lock.json -newer "$stamp" -type f -not -path 'test/lint-fixtures/*' -print -quit 2>/dev/null)" ]
}
# The fast path: a built tree with nothing newer starts at node's speed (no tsc, no npm).
if [ -d node_modules ] && ! stale_inputs; then exit 0; fi

need_install=0
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  need_install=1
fi

if [ "$need_install" = 1 ]; then
  # node-rdkafka links Debian's librdkafka (about 25 s) instead of compiling its bundled copy (about 2 min).
  if ! dpkg -s librdkafka-dev >/dev/null 2>&1 || ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      echo "careloop: installing build prerequisites (librdkafka-dev, g++, make) with apt-get ..." >&2
      apt-get update -qq >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev g++ make python3 >/dev/null
    else
      echo "careloop: librdkafka-dev, g++ and make are needed; run: sudo apt-get install -y librdkafka-dev g++ make python3" >&2
      exit 1
    fi
  fi
  echo "careloop: installing npm dependencies (npm ci, about 1 minute the first time) ..." >&2
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  BUILD_LIBRDKAFKA=0 npm_config_nodedir="$node_prefix" npm ci --no-audit --no-fund --loglevel=error >&2
fi

# Regenerate Avro types and compile; tsc is incremental, so an unchanged tree takes a few seconds.
if ! node scripts/gen-avro-types.mjs; then echo "careloop: generating the Avro types failed (errors above)." >&2; exit 1; fi
# The stamp is taken before compiling, so a source saved during the build makes the next run build again.
mkdir -p dist && touch "$stamp.next"
if ! node node_modules/typescript/bin/tsc -p tsconfig.json; then
  rm -f "$stamp.next"
  echo "careloop: the TypeScript build failed (errors above)." >&2
  exit 1
fi
# The staff portal (React, Vite) is built into dist/portal when its sources changed.
if [ ! -f dist/portal/index.html ] || [ -n "$(find portal -newer dist/portal/index.html -type f -print -quit)" ]; then
  echo "careloop: building the staff portal (vite) ..." >&2
  if ! node node_modules/vite/bin/vite.js build --config portal/vite.config.ts --logLevel warn >&2; then
    rm -f "$stamp.next"
    echo "careloop: the portal build failed (errors above)." >&2
    exit 1
  fi
fi
# The intent model is trained at build time (about a second), only when its corpus or code changed.
node scripts/train-intent-model.mjs >&2
mv "$stamp.next" "$stamp"
