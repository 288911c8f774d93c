#!/usr/bin/env bash
# `npm run bench [-- ROUNDS [-- vsphere-load flags]]`: starts the simulator on
# a free port and runs ../shared/bench/compare.sh against it and vcsim.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
compare=${BENCH_COMPARE:-$here/../shared/bench/compare.sh}
[ -x "$compare" ] || [ -f "$compare" ] || { echo "bench: $compare not found (set BENCH_COMPARE)" >&2; exit 1; }
out=$(mktemp)
(cd "$here" && exec npx tsx simulator/cli.ts --listen 127.0.0.1:0 --scenario "${BENCH_SCENARIO:-homelab}") >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
url=$(head -n 1 "$out" | python3 -c 'import json,sys,urllib.parse as u; d=json.load(sys.stdin); p=u.urlsplit(d["url"]); print(f"https://{u.quote(d[\"username\"],safe=\"\")}:{u.quote(d[\"password\"],safe=\"\")}@{p.netloc}{p.path}")')
bash "$compare" "$url" "$@"
