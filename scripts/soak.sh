#!/usr/bin/env bash
# Soak: `capflow record` with 60 Hang Seng stocks for DURATION through a proxy that breaks a
# reply every PERIOD seconds (8 kinds of fault in turn, including a 40-s stall), against
# `capflow sim` with OpenD's rate limits on. Prints requests, rejections, reconnects, the worst
# 30-s window, and the recorder's RSS at start and end (it must not grow).
# Usage: scripts/soak.sh [DURATION=10m] [PERIOD=20]
# SOAK_SPEED=0 freezes the market clock, so no series grows and any RSS growth is the program's.
set -euo pipefail
duration=${1:-10m}
period=${2:-20}
cd "$(dirname "$0")/.."
cargo build --release -q --bin capflow --example fault_proxy
bin=$PWD/target/release/capflow
proxy_bin=$PWD/target/release/examples/fault_proxy
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
export XDG_CONFIG_HOME=$work XDG_DATA_HOME=$work
unset CAPFLOW_CONFIG

# The simulator at 10:00 Hong Kong time on a Wednesday, running at real speed.
"$bin" sim --listen 127.0.0.1:0 --now 2026-11-25T02:00:00Z --speed "${SOAK_SPEED:-1}" > "$work/sim.out" 2>/dev/null &
pids+=($!)
until grep -q 'listening on' "$work/sim.out" 2>/dev/null; do sleep 0.1; done
sim=$(sed -n 's/^listening on //p' "$work/sim.out")

"$proxy_bin" "$sim" "$period" > "$work/proxy.out" &
proxy_pid=$!
pids+=($proxy_pid)
until grep -q 'listening on' "$work/proxy.out" 2>/dev/null; do sleep 0.1; done
proxy=$(sed -n 's/^listening on //p' "$work/proxy.out")

codes=$(grep -o '"HK\.[0-9]*"' src/sim/universe.rs | tr -d '"' | awk '!seen[$0]++' | head -n 60 | paste -sd, -)
"$bin" record --opend "$proxy" --codes "$codes" --for "$duration" > "$work/record.out" 2>&1 &
rec=$!
pids+=($rec)
sleep 5
rss_start=$(awk '/VmRSS/ {print $2}' "/proc/$rec/status")
rss_last=$rss_start
rss_warm=
elapsed=5
while kill -0 "$rec" 2>/dev/null; do
  r=$(awk '/VmRSS/ {print $2}' "/proc/$rec/status" 2>/dev/null || true)
  [ -n "$r" ] && rss_last=$r
  # After the first minute every stock has been fetched and the connection pool is warm.
  [ -z "$rss_warm" ] && [ "$elapsed" -ge 60 ] && rss_warm=$rss_last
  sleep 5
  elapsed=$((elapsed + 5))
done
wait "$rec" && status=0 || status=$?
kill -TERM "$proxy_pid" 2>/dev/null || true
wait "$proxy_pid" 2>/dev/null || true

final=$(grep '^final' "$work/record.out" || true)
summary=$(tail -n 1 "$work/proxy.out")
field() { echo "$final" | grep -o "$1 [0-9]*" | awk '{print $2}'; }
connections=$(echo "$summary" | grep -o 'connections [0-9]*' | awk '{print $2}')
echo "duration $duration, 60 stocks, a fault every ${period}s, market clock speed ${SOAK_SPEED:-1}; record exit $status"
echo "requests $(field requests)  rejected $(field rejected)  errored $(field errored)  fresh $(field fresh)"
echo "reconnects $((connections - 1))  faults applied $(echo "$summary" | grep -o 'applied [0-9]*' | awk '{print $2}')  worst 30-s window $(echo "$summary" | grep -o '30 s [0-9]*' | awk '{print $3}') capital-flow requests"
echo "record RSS: ${rss_start} kB at 5 s, ${rss_warm:-?} kB at 1 min, ${rss_last} kB at the end"
echo "$final"
