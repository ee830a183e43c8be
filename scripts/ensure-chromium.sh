#!/usr/bin/env bash
# Prints the path of a Chromium for the browser tests, installing Debian's package when it is missing
# (as root; otherwise says what to run). Quiet when one is present. Usage: scripts/ensure-chromium.sh
set -euo pipefail
if [ "${1:-}" = "--help" ]; then
  echo "Usage: scripts/ensure-chromium.sh   prints the Chromium path (CHROMIUM_PATH, else chromium on PATH), installing Debian's chromium if missing"; exit 0
fi
for candidate in "${CHROMIUM_PATH:-}" chromium chromium-browser; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; exit 0; fi
done
if [ "$(id -u)" != 0 ]; then
  echo "careloop: the browser tests need Chromium; run: sudo apt-get install -y chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
echo "careloop: installing chromium with apt-get (about a minute) ..." >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
command -v chromium
