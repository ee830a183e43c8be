#!/usr/bin/env bash
# Exercises the Dockerfile without a container engine (none runs in this sandbox, and base images
# cannot be pulled): parses it with BuildKit's parser, runs its build and stage steps
# (deploy/image-steps.sh) on a clean export of HEAD, then runs the staged /app the way the image does:
# as uid 10001, with every file read-only, writable /tmp only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
if [ "${1:-}" = "--help" ]; then
  cat <<'USAGE'
Usage: scripts/check-image.sh [--keep]
  Parses Dockerfile (pip package `dockerfile`, BuildKit's parser, into .stack/tools/py), exports the
  work tree's files (git ls-files) to a temporary directory, runs `deploy/image-steps.sh build` and `stage` there (with this
  checkout's node_modules as the npm ci result), then runs the staged app as uid 10001 with a
  read-only tree: `careloop run --help`, `careloop config check`. --keep leaves the directory.
USAGE
  exit 0
fi
keep="${1:-}"
tools="$root/.stack/tools"
py="$tools/py"
if ! PYTHONPATH="$py" python3 -c "import dockerfile" 2>/dev/null; then
  echo "check-image: installing the Dockerfile parser (pip dockerfile) into $py ..." >&2
  python3 -m pip install -q --disable-pip-version-check --target "$py" dockerfile==3.4.0 >&2
fi
echo "check-image: parsing Dockerfile" >&2
PYTHONPATH="$py" python3 - <<'PY'
import dockerfile, sys
cmds = dockerfile.parse_file('Dockerfile')
froms = [c.value for c in cmds if c.cmd == 'FROM']
assert len(froms) == 2 and froms[0][0].startswith('node:20') and froms[1][0] == 'node:20-bookworm-slim', froms
run_stage = cmds[[i for i, c in enumerate(cmds) if c.cmd == 'FROM'][1]:]
user = [c.value[0] for c in run_stage if c.cmd == 'USER']
assert user and not user[-1].startswith('0') and not user[-1].startswith('root'), user
entry = [c.value for c in run_stage if c.cmd == 'ENTRYPOINT']
assert entry and entry[-1][0] == '/usr/bin/tini' and entry[-1][-1] == '/usr/local/bin/careloop', entry
steps = ' '.join(' '.join(c.value) for c in cmds if c.cmd == 'RUN')
for s in ('npm ci', 'image-steps.sh build', 'image-steps.sh stage'):
    assert s in steps, s
print(f"check-image: Dockerfile parses: {len(cmds)} instructions, stages {froms[0][0]} -> {froms[1][0]}, USER {user[-1]}, ENTRYPOINT {entry[-1]}", file=sys.stderr)
PY
work="$(mktemp -d /tmp/careloop-image.XXXXXX)"
[ "$keep" = "--keep" ] || trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
# The files the image build context would hold: tracked and new files, nothing ignored (no dist/).
echo "check-image: exporting the work tree (git ls-files) to $work/src" >&2
mkdir -p "$work/src"
git ls-files -z -co --exclude-standard | grep -zv "^node_modules$\|^\.stack$" | xargs -0 cp --parents -t "$work/src"
# The build stage's `npm ci` result: this checkout's installed dependencies (same lockfile).
cp -R "$(readlink -f node_modules)" "$work/src/node_modules"
started=$(date +%s)
echo "check-image: build step (Avro types, tsc, intent model) ..." >&2
sh "$work/src/deploy/image-steps.sh" build "$work/src" >&2
echo "check-image: stage step (runtime files, npm prune --omit=dev) ..." >&2
sh "$work/src/deploy/image-steps.sh" stage "$work/src" "$work/app" >&2
echo "check-image: build + stage took $(( $(date +%s) - started ))s; /app is $(du -sh "$work/app" | cut -f1)" >&2
for dev in typescript eslint; do
  if [ -e "$work/app/node_modules/$dev" ]; then echo "check-image: dev dependency $dev was not pruned" >&2; exit 1; fi
done
# Run as the image does: non-root, nothing writable but /tmp.
chmod -R a-w "$work/app"
chmod a+rx "$work" 
as_user=(setpriv --reuid=10001 --regid=10001 --clear-groups)
[ "$(id -u)" = 0 ] || as_user=()
run() { (cd "$work/app" && env -i PATH="$PATH" HOME=/tmp CARELOOP_ENV=production CARELOOP_STACK_DIR=/tmp/careloop "${as_user[@]}" node --enable-source-maps "$work/app/dist/cli/main.js" "$@"); }
run run --help | grep -q "gateway" || { echo "check-image: careloop run --help failed in the staged app" >&2; exit 1; }
echo "check-image: staged app answers \`careloop run --help\` as uid 10001 from a read-only tree" >&2
run config check > "$work/config.out"
grep -q '"env": *"production"\|env.*production' "$work/config.out" || { echo "check-image: config check did not compile the production configuration" >&2; exit 1; }
echo "check-image: \`careloop config check\` compiles the production configuration in the staged app" >&2
echo "check-image: ok"
