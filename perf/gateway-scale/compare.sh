#!/usr/bin/env bash
# One run, one machine: the Careloop gateway and Centrifugo v6 with the same sessions and message
# pattern, then Careloop over several processes; prints the side-by-side table (markdown).
#   perf/gateway-scale/compare.sh [sessions per process, default 19000] [multi-process total, default 102000]
# Needs the local stack (Redis, PostgreSQL for the gateway) and .stack/tools/bin/centrifugo:
#   GOBIN=$PWD/.stack/tools/bin go install github.com/centrifugal/centrifugo/v6@v6.9.1
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [ "${1:-}" = "--help" ]; then sed -n 2,6p "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
one="${1:-19000}"; many="${2:-102000}"
[ -x .stack/tools/bin/centrifugo ] || { echo "compare: .stack/tools/bin/centrifugo is missing (see --help)" >&2; exit 1; }
npx --no-install tsc -p tsconfig.json
stamp=$(date +%s)
node dist/perf/gateway-scale/run.js --target careloop --connections "$one" --patients 1000 --idle 30 --rounds 5
node dist/perf/gateway-scale/run.js --target centrifugo --connections "$one" --patients 1000 --idle 30 --rounds 5
if [ "$many" != 0 ]; then
  node dist/perf/gateway-scale/run.js --target careloop --connections "$many" --processes $(( (many + one - 1) / one )) --patients 1000 --idle 30 --rounds 5
fi
node -e '
const fs = require("fs"); const dir = "perf/results"; const since = Number(process.argv[1]) * 1000;
const rows = fs.readdirSync(dir).filter((f) => f.startsWith("gateway-scale-")).map((f) => JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"))).filter((r) => Date.parse(r.at) >= since);
console.log("| server | processes | sessions | base RSS | RSS per session | sessions per GB | idle CPU (cores) | fan-out msg/s |");
console.log("|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(`| ${r.target} | ${r.processes} | ${r.sessions.toLocaleString("en")} | ${r.baseRssMB.toFixed(0)} MB | ${r.rssPerSessionKB.toFixed(2)} KB | ${r.sessionsPerGB.toLocaleString("en")} | ${r.idleCpuCores.toFixed(3)} | ${r.fanOut.messagesPerSecond.toLocaleString("en")} (${r.fanOut.delivered.toLocaleString("en")} in ${r.fanOut.seconds.toFixed(2)} s) |`);
' "$stamp"
