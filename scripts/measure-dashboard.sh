#!/usr/bin/env bash
# What watching N Hong Kong stocks costs the dashboard, at a fixed trading time so the figure is
# the same whenever it runs: CPU (% of one core: user + system time over the window), peak RSS,
# and anonymous memory (heap, stacks) at the window's start, half-way and end, with its growth
# over the second half. Two cases, each with the store on:
#   demo      `capflow --demo`: the simulator in the same process, its clock fixed at NOW through
#             CAPFLOW_DEMO_NOW (speed 1), a throw-away store pre-filled with 5 past sessions;
#   external  `capflow --opend` against a separate `capflow sim --now NOW --speed 1` (as against
#             a real OpenD), the store in a temporary data dir. Only the dashboard is measured.
# The dashboard runs in a detached tmux window of 200x60; the first WARMUP seconds (start-up, the
# first fetch of every stock) are left out.
# Needs tmux. Usage: scripts/measure-dashboard.sh [N=60] [DURATION=60]
# Environment: MEASURE_CASES="demo external" (either or both), MEASURE_NOW (default
# 2026-11-25T02:15:00Z: 10:15 in Hong Kong on a Wednesday), MEASURE_WARMUP (default 10),
# MEASURE_STORE=0 (run with --no-store instead), MEASURE_BIN (a capflow binary to measure instead
# of building this tree's release one), MEASURE_QUIET=1 (only the result lines), MEASURE_ENV
# (variables for the dashboard's environment, e.g. "MALLOC_ARENA_MAX=1").
# Each case prints one line:
#   demo: cpu 0.41% of one core (second half 0.40%), peak rss 21.3 MB, anon 14012 -> 14020 -> 14025 kB (+5 kB over the second half), frames/s 1.01, load 1.02
# (frames/s: frames drawn over the whole run, from the dashboard's log; "?" for a build that
# does not log them)
set -euo pipefail
n=${1:-60}
secs=${2:-60}
cases=${MEASURE_CASES:-demo external}
now=${MEASURE_NOW:-2026-11-25T02:15:00Z}
warmup=${MEASURE_WARMUP:-10}
cd "$(dirname "$0")/.."
if [ -n "${MEASURE_BIN:-}" ]; then
  bin=$MEASURE_BIN
else
  cargo build --release -q --bin capflow
  bin=$PWD/target/release/capflow
fi
work=$(mktemp -d)
session=capflow-measure-$$
sim_pid=
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
store_flag=
[ "${MEASURE_STORE:-1}" = 0 ] && store_flag=--no-store
codes=$(grep -o '"HK\.[0-9]*"' src/sim/universe.rs | awk '!seen[$0]++' | head -n "$n" | paste -sd, -)
printf '[[watchlist]]\nname = "HK %s"\ncodes = [%s]\n' "$n" "$codes" > "$work/config.toml"
tick=$(getconf CLK_TCK)
say() { [ "${MEASURE_QUIET:-0}" = 1 ] || echo "$@" >&2; }
field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$2/status"; }
cputicks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pct() { awk -v a="$1" -v b="$2" -v t="$tick" -v s="$3" 'BEGIN { printf "%.2f", 100 * (b - a) / t / s }'; }

# Runs the dashboard with the arguments given in the tmux session, measures it, prints a line.
measure() {
  local label=$1 env=$2
  shift 2
  mkdir -p "$work/home-$label"
  local cmd="cd $work && HOME=$work/home-$label XDG_DATA_HOME=$work/home-$label XDG_CONFIG_HOME=$work/home-$label ${MEASURE_ENV:-} $env $bin --config $work/config.toml --log-file $work/$label.log $store_flag $*"
  tmux new-session -d -s "$session" -x 200 -y 60 "$cmd"
  local pid=
  for _ in $(seq 100); do
    pid=$(pgrep -n -f "^$bin --config $work/config.toml" || true)
    [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { echo "$label: the dashboard did not start" >&2; exit 1; }
  sleep "$warmup"
  local half=$((secs / 2))
  local c0 a0 c1 a1 c2 a2 hwm load
  c0=$(cputicks "$pid"); a0=$(field RssAnon "$pid")
  sleep "$half"
  c1=$(cputicks "$pid"); a1=$(field RssAnon "$pid")
  sleep "$((secs - half))"
  c2=$(cputicks "$pid"); a2=$(field RssAnon "$pid")
  hwm=$(field VmHWM "$pid")
  load=$(cut -d' ' -f1 /proc/loadavg)
  say "$label: screen's last line: $(tmux capture-pane -t "$session" -p | tail -n 1)"
  # Quit with q so the dashboard logs the frames it drew (over the whole run, warm-up included).
  local lived=$((warmup + secs))
  tmux send-keys -t "$session" q 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  tmux kill-session -t "$session" 2>/dev/null || true
  local frames
  frames=$({ grep -o '[0-9]* frames drawn' "$work/$label.log" 2>/dev/null || true; } |
    awk -v s="$lived" '{ printf "%.2f", $1 / s }')
  printf '%s: cpu %s%% of one core (second half %s%%), peak rss %s MB, anon %s -> %s -> %s kB (%+d kB over the second half), frames/s %s, load %s\n' \
    "$label" "$(pct "$c0" "$c2" "$secs")" "$(pct "$c1" "$c2" "$((secs - half))")" \
    "$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')" "$a0" "$a1" "$a2" "$((a2 - a1))" "${frames:-?}" "$load"
}

say "$n HK stocks for ${secs}s after ${warmup}s, market clock from $now at speed 1, store ${store_flag:-on}"
for c in $cases; do
  case $c in
    demo) measure demo "CAPFLOW_DEMO_NOW=$now" --demo ;;
    external)
      "$bin" sim --listen 127.0.0.1:0 --now "$now" --speed 1 > "$work/sim.out" 2>/dev/null &
      sim_pid=$!
      until grep -q 'listening on' "$work/sim.out" 2>/dev/null; do sleep 0.1; done
      measure external "" --opend "$(sed -n 's/^listening on //p' "$work/sim.out")"
      kill "$sim_pid" 2>/dev/null || true
      wait "$sim_pid" 2>/dev/null || true
      sim_pid=
      ;;
    *) echo "measure-dashboard.sh: unknown case $c (demo, external)" >&2; exit 2 ;;
  esac
done
