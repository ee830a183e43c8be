#!/usr/bin/env bash
# Fuzzes every HTTP route from its OpenAPI document with schemathesis (PyPI): the admin API with the
# demo admin key, and the gateway's verification routes. Fails when any request gets a 5xx.
# Usage: scripts/fuzz-api.sh [--max-examples N]   (default 50; the local stack must be up: npm start once)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
max=50
case "${1:-}" in
  --help|-h) sed -n '2,4p' "$0" | sed 's/^# //'; exit 0 ;;
  --max-examples) max="${2:?--max-examples needs a number}" ;;
  "") ;;
  *) echo "unknown option $1; see --help" >&2; exit 2 ;;
esac

venv=.stack/tools/schemathesis
if [ ! -x "$venv/bin/st" ]; then
  echo "fuzz: installing schemathesis into $venv (first run only) ..."
  python3 -m venv "$venv" && "$venv/bin/pip" install -q 'schemathesis>=4,<5'
fi

bash scripts/ensure-built.sh
port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
api_port=$(port); gw_port=$(port); ops_port=$(port)
prefix="fuzz$(date +%s)."
export CARELOOP_KAFKA_TOPIC_PREFIX="$prefix" CARELOOP_SERVICES_API_PORT="$api_port" CARELOOP_SERVICES_GATEWAY_PORT="$gw_port" \
  CARELOOP_SERVICES_OPS_PORT="$ops_port" CARELOOP_API_RATE_LIMIT_BURST=100000 CARELOOP_API_RATE_LIMIT_PER_MINUTE=6000000 CARELOOP_LOG_LEVEL=warn
node dist/cli/main.js prepare >/dev/null
node dist/cli/main.js seed >/dev/null
key=$(node -e "console.log(require('./.stack/demo.json').adminApiKey)")
log=$(mktemp)
node dist/cli/main.js run api gateway >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
# Both listeners open only once every service has started (the ops port opens first): wait for them.
ready=0
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$api_port/openapi.json" >/dev/null && curl -sf "http://127.0.0.1:$gw_port/openapi.json" >/dev/null; then ready=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.2
done
if [ "$ready" != 1 ]; then echo "fuzz: the API and gateway did not start; their output:"; tail -30 "$log"; exit 1; fi

status=0
echo "fuzz: admin API (http://127.0.0.1:$api_port), $max examples per operation"
"$venv/bin/st" run "http://127.0.0.1:$api_port/openapi.json" --checks not_a_server_error -H "Authorization: Bearer $key" --max-examples "$max" || status=1
echo "fuzz: gateway (http://127.0.0.1:$gw_port)"
"$venv/bin/st" run "http://127.0.0.1:$gw_port/openapi.json" --checks not_a_server_error --max-examples "$max" || status=1
if grep -q '"level":"error"' "$log"; then echo "fuzz: the product logged errors:"; grep '"level":"error"' "$log" | head -20; status=1; fi
kill -0 $pid 2>/dev/null || { echo "fuzz: the product process died"; status=1; }
exit $status
