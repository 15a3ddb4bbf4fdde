#!/usr/bin/env bash
# Soak: `capflow record` with 60 Hang Seng stocks for DURATION through a proxy that breaks a
# reply every PERIOD seconds (8 kinds of fault in turn, including a 40-s stall), against
# `capflow sim` with OpenD's rate limits on. Prints the recorder's memory every minute while it
# runs (RSS, and its two parts: anonymous memory -- heap, stacks -- and file-backed pages, mostly
# the binary's own code, paged in the first time a code path runs), then requests, rejections,
# reconnects, the worst 30-s window, RSS and anonymous memory at 5 s, at 1 min (every stock
# fetched once), half-way and at the end, and how much anonymous memory grew over the second
# half. It must not grow.
# Usage: scripts/soak.sh [DURATION=10m] [PERIOD=20]
# SOAK_SPEED=0 freezes the market clock, so no series grows and any RSS growth is the program's.
# SOAK_NO_STORE=1 records with --no-store (nothing written to SQLite), to compare.
# SOAK_NOW=TIME starts the simulated market elsewhere than 10:00 Hong Kong time on a Wednesday
# (2026-11-25T02:00:00Z), e.g. 2026-11-25T07:50:00Z for full-day series (320 minutes each).
# SOAK_LOG=FILE keeps the recorder's output (a line per minute: requests, fresh, connection).
set -euo pipefail
duration=${1:-10m}
period=${2:-20}
case $duration in
  *s) secs=${duration%s} ;;
  *m) secs=$((${duration%m} * 60)) ;;
  *h) secs=$((${duration%h} * 3600)) ;;
  *) echo "soak.sh: DURATION $duration: expected e.g. 80s, 10m or 1h" >&2; exit 2 ;;
esac
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
store_flag=()
[ "${SOAK_NO_STORE:-0}" = 1 ] && store_flag=(--no-store)

# The simulator at 10:00 Hong Kong time on a Wednesday (or SOAK_NOW), running at real speed.
"$bin" sim --listen 127.0.0.1:0 --now "${SOAK_NOW:-2026-11-25T02:00:00Z}" --speed "${SOAK_SPEED:-1}" > "$work/sim.out" 2>/dev/null &
sim_pid=$!
pids+=($sim_pid)
until grep -q 'listening on' "$work/sim.out" 2>/dev/null; do sleep 0.1; done
sim=$(sed -n 's/^listening on //p' "$work/sim.out")

"$proxy_bin" "$sim" "$period" > "$work/proxy.out" &
proxy_pid=$!
pids+=($proxy_pid)
until grep -q 'listening on' "$work/proxy.out" 2>/dev/null; do sleep 0.1; done
proxy=$(sed -n 's/^listening on //p' "$work/proxy.out")

codes=$(grep -o '"HK\.[0-9]*"' src/sim/universe.rs | tr -d '"' | awk '!seen[$0]++' | head -n 60 | paste -sd, -)
"$bin" record --opend "$proxy" --codes "$codes" --for "$duration" "${store_flag[@]}" > "$work/record.out" 2>&1 &
rec=$!
pids+=($rec)
t0=$SECONDS
rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$rec/status" 2>/dev/null || true; }
line() { printf '  %5ss %8s %8s %8s\n' "$1" "$(rss VmRSS)" "$(rss RssAnon)" "$(rss RssFile)"; }
sleep 5
rss_start=$(rss VmRSS)
anon_start=$(rss RssAnon)
rss_last=$rss_start
anon_last=$anon_start
rss_peak=$rss_start
rss_warm=
anon_warm=
rss_half=
anon_half=
sim_gone=
next_line=60
echo "memory of capflow record (kB):"
printf '  %6s %8s %8s %8s\n' time RSS anon file
line "$((SECONDS - t0))"
while kill -0 "$rec" 2>/dev/null; do
  sleep 5
  elapsed=$((SECONDS - t0))
  r=$(rss VmRSS)
  [ -z "$r" ] && break
  rss_last=$r
  a=$(rss RssAnon)
  [ -n "$a" ] && anon_last=$a
  hwm=$(rss VmHWM)
  [ -n "$hwm" ] && rss_peak=$hwm
  # After the first minute every stock has been fetched and the connection pool is warm.
  [ -z "$rss_warm" ] && [ "$elapsed" -ge 60 ] && rss_warm=$rss_last && anon_warm=$anon_last
  [ -z "$rss_half" ] && [ "$elapsed" -ge $((secs / 2)) ] && rss_half=$rss_last && anon_half=$anon_last
  # A simulator that died (or was killed from outside) turns the rest of the run into reconnects.
  if [ -z "$sim_gone" ] && ! kill -0 "$sim_pid" 2>/dev/null; then
    sim_gone=$elapsed
    echo "  capflow sim is gone at ${elapsed}s: the figures after that are not a soak" >&2
  fi
  if [ "$elapsed" -ge "$next_line" ]; then
    line "$elapsed"
    next_line=$((next_line + 60))
  fi
done
wait "$rec" && status=0 || status=$?
kill -TERM "$proxy_pid" 2>/dev/null || true
wait "$proxy_pid" 2>/dev/null || true

[ -n "${SOAK_LOG:-}" ] && cp "$work/record.out" "$SOAK_LOG"
final=$(grep '^final' "$work/record.out" || true)
summary=$(tail -n 1 "$work/proxy.out")
field() { echo "$final" | grep -o "$1 [0-9]*" | awk '{print $2}'; }
connections=$(echo "$summary" | grep -o 'connections [0-9]*' | awk '{print $2}')
store=on
[ "${#store_flag[@]}" -gt 0 ] && store=off
echo "duration $duration, 60 stocks, a fault every ${period}s, market from ${SOAK_NOW:-2026-11-25T02:00:00Z} at speed ${SOAK_SPEED:-1}, store $store; record exit $status"
echo "requests $(field requests)  rejected $(field rejected)  errored $(field errored)  fresh $(field fresh)"
echo "reconnects $((connections - 1))  faults applied $(echo "$summary" | grep -o 'applied [0-9]*' | awk '{print $2}')  worst 30-s window $(echo "$summary" | grep -o '30 s [0-9]*' | awk '{print $3}') capital-flow requests"
echo "record RSS: ${rss_start} kB at 5 s, ${rss_warm:-?} kB at 1 min, ${rss_half:-?} kB half-way, ${rss_last} kB at the end, ${rss_peak} kB peak"
echo "record anonymous memory: ${anon_start} kB at 5 s, ${anon_warm:-?} kB at 1 min, ${anon_half:-?} kB half-way, ${anon_last} kB at the end: $((anon_last - ${anon_half:-$anon_last})) kB over the second half"
echo "$final"
if [ -n "$sim_gone" ]; then
  echo "INVALID: capflow sim exited at ${sim_gone}s, before the recorder" >&2
  exit 1
fi
