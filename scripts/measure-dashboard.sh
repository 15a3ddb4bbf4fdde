#!/usr/bin/env bash
# Measures what watching N stocks costs: CPU (% of one core) and peak RSS of `capflow --demo`
# with a config of N Nasdaq-100 codes (the simulator runs in the same process), over DURATION s.
# Needs tmux. Usage: scripts/measure-dashboard.sh [N=60] [DURATION=60]
set -euo pipefail
n=${1:-60}
secs=${2:-60}
cd "$(dirname "$0")/.."
cargo build --release -q
bin=$PWD/target/release/capflow
work=$(mktemp -d)
trap 'tmux kill-session -t capflow-measure 2>/dev/null || true; rm -rf "$work"' EXIT
codes=$(grep -o '"US\.[A-Z]*"' src/sim/universe.rs | awk '!seen[$0]++' | head -n "$n" | paste -sd, -)
printf '[[watchlist]]\nname = "Nasdaq %s"\ncodes = [%s]\n' "$n" "$codes" > "$work/config.toml"
mkdir -p "$work/home"
tmux new-session -d -s capflow-measure -x 200 -y 60 \
  "HOME=$work/home XDG_DATA_HOME=$work/home $bin --config $work/config.toml --demo"
sleep 3
pid=$(pgrep -n -f "$bin --config $work/config.toml --demo")
tick=$(getconf CLK_TCK)
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
sleep "$secs"
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
rss=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
cpu=$(awk -v a="$u0" -v b="$s0" -v c="$u1" -v d="$s1" -v t="$tick" -v s="$secs" \
  'BEGIN { printf "%.2f", 100 * ((c + d) - (a + b)) / t / s }')
echo "stocks: $n (US, market clock: see the demo note), window: ${secs}s"
echo "cpu: ${cpu}% of one core   peak rss: $((rss / 1024)) MB"
tmux capture-pane -t capflow-measure -p | tail -n 1
