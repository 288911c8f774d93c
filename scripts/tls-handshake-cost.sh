#!/usr/bin/env bash
# `bash scripts/tls-handshake-cost.sh [ROUNDS] [HANDSHAKES]`: server CPU per
# TLS handshake of the simulator's listener (node, its TLS options and
# certificate) against Go's crypto/tls (vcsim's stack) on the same key pair,
# protocol version and client, alternating, on this machine. Every govmomi
# login is one handshake, and so is about one call in each of the other
# benchmark phases (govmomi keeps two idle connections for eight clients).
# Needs Go (Debian's golang-go, as ../shared/bench does).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-4}; n=${2:-2000}
command -v go >/dev/null || { echo "tls-handshake-cost: needs go (apt-get install -y golang-go)" >&2; exit 1; }
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
(cd "$here/scripts/tls-handshake" && GO111MODULE=off GOCACHE=${GOCACHE:-/tmp/vsphere-bench-gocache} go build -o "$work/tls-handshake" main.go)
(cd "$here" && exec node --no-memory-reducer --import tsx scripts/tls-handshake/node-server.ts "$work") >"$work/node.addr" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/node.addr" ] && break; sleep 0.1; done
"$work/tls-handshake" -server -cert "$work/cert.pem" -key "$work/key.pem" >"$work/go.addr" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/go.addr" ] && break; sleep 0.1; done
declare -A addr=([node]=$(head -n 1 "$work/node.addr") [go]=$(head -n 1 "$work/go.addr"))
declare -A pid=([node]=${pids[0]} [go]=${pids[1]})
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for t in node go; do "$work/tls-handshake" -addr "${addr[$t]}" -n 1000 >/dev/null; done  # both warm
printf '%-6s %8s %14s %14s\n' server hs/s "server us/hs" "client us/hs"
for _ in $(seq "$rounds"); do
  for t in node go; do
    c0=$(cpu "${pid[$t]}")
    /usr/bin/time -f '%U %S' -o "$work/client.time" "$work/tls-handshake" -addr "${addr[$t]}" -n "$n" >"$work/out"
    c1=$(cpu "${pid[$t]}")
    read -r done secs errs <"$work/out"
    [ "$errs" = 0 ] || echo "$t: $errs handshakes failed" >&2
    awk -v t="$t" -v n="$done" -v s="$secs" -v c="$((c1 - c0))" -v hz="$ticks" '{printf "%-6s %8.0f %14.0f %14.0f\n", t, n / s, c / hz * 1e6 / n, ($1 + $2) * 1e6 / n}' "$work/client.time"
  done
done
