#!/usr/bin/env bash
# `npm run bench [-- ROUNDS [-- vsphere-load flags]]`: starts the simulator on
# a free port and runs ../shared/bench/compare.sh against it and vcsim.
# The simulator's node gets --no-memory-reducer and --min-semi-space-size=16,
# as under `npm run sim`; SIM_NODE_FLAGS adds more (to try a V8 flag against
# the same workload).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
compare=${BENCH_COMPARE:-$here/../shared/bench/compare.sh}
[ -x "$compare" ] || [ -f "$compare" ] || { echo "bench: $compare not found (set BENCH_COMPARE)" >&2; exit 1; }
out=$(mktemp)
(cd "$here" && exec node --no-memory-reducer --min-semi-space-size=16 ${SIM_NODE_FLAGS:-} --import tsx simulator/cli.ts --listen 127.0.0.1:0 --scenario "${BENCH_SCENARIO:-homelab}") >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(head -n 1 "$out" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const d=JSON.parse(s),u=new URL(d.url);u.username=encodeURIComponent(d.username);u.password=encodeURIComponent(d.password);console.log(u.href)})')
bash "$compare" "$url" "$@"
