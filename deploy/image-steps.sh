#!/bin/sh
# The Dockerfile's build steps, one script so they run the same in the image build and outside it
# (scripts/check-image.sh runs them on this machine, where no container engine runs).
#   image-steps.sh build <src>          Avro types, TypeScript, intent model (needs dev dependencies)
#   image-steps.sh stage <src> <dest>   copies what the services read at run time, prunes dev dependencies
set -eu
cmd="${1:-}"
case "$cmd" in
  build)
    cd "$2"
    node scripts/gen-avro-types.mjs
    npx --no-install tsc -p tsconfig.json
    node scripts/train-intent-model.mjs --force
    ;;
  stage)
    src="$2"; dest="$3"
    mkdir -p "$dest/platform/storage" "$dest/ingest/gateway"
    cp "$src/package.json" "$src/package-lock.json" "$dest/"
    cp -R "$src/dist" "$src/schemas" "$src/workflows" "$dest/"
    cp -R "$src/platform/storage/migrations" "$dest/platform/storage/"
    cp "$src/ingest/gateway/chat.html" "$dest/ingest/gateway/"
    cp -R "$src/node_modules" "$dest/"
    # Tests, source maps of tests and the incremental build state are not shipped.
    find "$dest/dist" \( -name '*.test.js' -o -name '*.test.js.map' -o -name '*.test.d.ts' -o -name '.tsbuildinfo' \) -delete
    rm -rf "$dest/dist/perf" "$dest/dist/test"
    cd "$dest"
    npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund --loglevel=error
    ;;
  *)
    echo "Usage: deploy/image-steps.sh build <src> | stage <src> <dest>" >&2
    exit 2
    ;;
esac
