#!/usr/bin/env bash
# Every performance figure README's Performance section quotes, measured now on this machine, and
# the table in markdown (with the date, the commit and the machine) to paste there:
#   - `capflow fetch` against the official Python SDK doing the same call (get_capital_flow of
#     HK.00700, intraday) on one `capflow sim` at a fixed clock: wall time and peak RSS, the
#     median of several runs each; only when the venv the interop test builds exists
#     (target/tmp/interop-venv with futu-api; `cargo test --test interop_python` makes it);
#   - the dashboard watching 60 HK stocks while trading, as the demo and against an external sim
#     (scripts/measure-dashboard.sh; both cases run from the start beside the rest; in full mode
#     their 600-s window starts after 12 minutes, once every stock's day history has arrived);
#   - `capflow record --demo` of 60 HK stocks at the same fixed clock: its final line, CPU, RSS;
#   - the benches: decode, render, the flow map, store, the simulator's history (criterion; their median);
#   - the simulator's request rate (examples/sim_throughput.rs).
# Usage: scripts/perf.sh [--quick]
# --quick (what CI runs, a few minutes with the build): short windows (dashboard 20 s, record
# 20 s, throughput 2 s), benches in criterion's --quick mode, fewer runs; its figures are rough,
# the point is that every measurement still runs and the table still prints.
# Installs nothing. Needs tmux (the dashboard) and /usr/bin/time (peak RSS); a part whose tool is
# missing says so in its row.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: scripts/perf.sh [--quick]" >&2; exit 2 ;;
esac
if [ "$quick" = 1 ]; then
  dash_secs=20 dash_warmup=5 record_secs=20 runs=3 tput_secs=2
  crit=(--quick --noplot --warm-up-time 0.5 --measurement-time 1)
else
  dash_secs=600 dash_warmup=720 record_secs=60 runs=9 tput_secs=5
  crit=(--noplot)
fi
# 10:15 in Hong Kong on a Wednesday (trading), 15:00 for the fetch comparison (a longer reply).
now=2026-11-25T02:15:00Z
fetch_now=2026-11-25T07:00:00Z
work=$(mktemp -d)
sim_pid=
dash_pids=()
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  [ ${#dash_pids[@]} -gt 0 ] && kill "${dash_pids[@]}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
log() { echo "perf.sh: $*" >&2; }
load() { cut -d' ' -f1 /proc/loadavg; }

log "building (release)"
cargo build --release -q --bin capflow --example sim_throughput
bin=$PWD/target/release/capflow
rows=()
row() { rows+=("| $1 | $2 | $3 |"); }

# The dashboard's two cases start now and run beside everything below (each takes well under 1 %
# of a core), each in its own measure-dashboard.sh: the full mode's warm-up (12 minutes, until
# every stock's year of day rows has arrived, one every 10 s) then costs no extra time.
if command -v tmux > /dev/null; then
  log "the dashboard, 60 HK stocks: ${dash_warmup}s of warm-up then ${dash_secs}s, both cases in the background"
  for c in demo external; do
    MEASURE_CASES=$c MEASURE_BIN=$bin MEASURE_NOW=$now MEASURE_WARMUP=$dash_warmup MEASURE_QUIET=1 \
      scripts/measure-dashboard.sh 60 "$dash_secs" > "$work/dash-$c.txt" 2> "$work/dash-$c.err" &
    dash_pids+=($!)
  done
fi

# A criterion bench's median ("33.5 µs") for the benchmark ID in its output file.
median() {
  awk -v id="$2" '
    $1 == id && /time:/ { print $5, $6; exit }
    $1 == id { want = 1; next }
    want && /time:/ { print $4, $5; exit }
  ' "$1" | tr -d '['
}

# --- fetch against the official SDK -------------------------------------------------------------
venv=target/tmp/interop-venv/bin/python
# Starts `capflow sim` at clock $1 and sets `addr` (not in a subshell: cleanup needs `sim_pid`).
start_sim() {
  "$bin" sim --listen 127.0.0.1:0 --now "$1" > "$work/sim.out" 2>/dev/null &
  sim_pid=$!
  until grep -q 'listening on' "$work/sim.out" 2>/dev/null; do sleep 0.1; done
  addr=$(sed -n 's/^listening on //p' "$work/sim.out")
}
stop_sim() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  sim_pid=
}
# Median wall time (ms, from the shell's nanosecond clock: /usr/bin/time's is 10 ms coarse) and
# peak RSS (MB, the largest, from /usr/bin/time) of `runs` runs of a command.
timed() {
  local out=$work/timed t0 t1
  : > "$out"
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%M' -o "$work/one" "$@" > /dev/null 2>&1
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000 )) $(cat "$work/one")" >> "$out"
  done
  sort -n "$out" | awk '{ w[NR] = $1; if ($2 > m) m = $2 }
    END { printf "%.1f ms, %.1f MB", w[int((NR + 1) / 2)] / 1000, m / 1024 }'
}
if [ ! -x /usr/bin/time ]; then
  row "fetch vs the official SDK" "—" "not measured: /usr/bin/time is missing"
elif [ -x "$venv" ] && "$venv" -c 'import futu' 2>/dev/null; then
  log "fetch vs the SDK ($runs runs each)"
  start_sim "$fetch_now"
  host=${addr%:*} port=${addr##*:}
  cat > "$work/sdk.py" <<'EOF'
import sys, futu
ctx = futu.OpenQuoteContext(host=sys.argv[1], port=int(sys.argv[2]))
try:
    ret, df = ctx.get_capital_flow("HK.00700", period_type=futu.PeriodType.INTRADAY)
    assert ret == futu.RET_OK, df
    df.to_csv(sys.stdout, index=False)
finally:
    ctx.close()
EOF
  mkdir -p "$work/sdk-home"
  ours=$(timed "$bin" fetch HK.00700 --opend "$addr" --format csv)
  sdk=$(HOME=$work/sdk-home timed "$venv" "$work/sdk.py" "$host" "$port")
  stop_sim
  row "\`capflow fetch HK.00700\` (intraday, CSV) vs the official SDK's \`get_capital_flow\`, same sim, median of $runs" \
    "\`scripts/perf.sh\`" "**$ours** vs $sdk (futu-api; load $(load))"
else
  row "fetch vs the official SDK" "—" "not measured: no venv with futu-api at $venv (\`cargo test --test interop_python\` builds it)"
fi

# --- the dashboard --------------------------------------------------------------------------------
if [ ${#dash_pids[@]} -gt 0 ]; then
  log "the dashboard: waiting for its two cases"
  for c in demo external; do
    wait "${dash_pids[0]}" || { cat "$work/dash-$c.err" >&2; exit 1; }
    dash_pids=("${dash_pids[@]:1}")
    line=$(cat "$work/dash-$c.txt")
    what="the dashboard, 60 HK stocks at 10:15 HKT, with the store, ${dash_secs} s after ${dash_warmup} s"
    [ "$c" = demo ] && what="$what, as the demo (sim in-process)"
    [ "$c" = external ] && what="$what, against an external \`capflow sim\`"
    row "$what" "\`scripts/measure-dashboard.sh 60 $dash_secs\`" "${line#*: }"
  done
else
  row "the dashboard" "—" "not measured: tmux is missing"
fi

# --- record ---------------------------------------------------------------------------------------
log "record, 60 HK stocks, ${record_secs}s"
codes=$(grep -o '"HK\.[0-9]*"' src/sim/universe.rs | tr -d '"' | awk '!seen[$0]++' | head -n 60 | paste -sd, -)
mkdir -p "$work/rec-home"
HOME=$work/rec-home XDG_DATA_HOME=$work/rec-home XDG_CONFIG_HOME=$work/rec-home CAPFLOW_DEMO_NOW=$now \
  /usr/bin/time -f '%U %S %M' -o "$work/rec.time" \
  "$bin" record --demo --codes "$codes" --for "${record_secs}s" > "$work/rec.out" 2>/dev/null
final=$(grep '^final ' "$work/rec.out" |
  sed -E 's/.*requests ([0-9]+) .* fresh ([0-9]+) stale ([0-9]+) errored ([0-9]+)  rejected ([0-9]+).*/\1 requests, fresh \2 stale \3 errored \4, rejected \5/')
rec_cpu=$(awk -v s="$record_secs" '{ printf "%.2f%% of one core, peak rss %.1f MB", 100 * ($1 + $2) / s, $3 / 1024 }' "$work/rec.time")
row "\`capflow record --demo\`, 60 HK stocks for ${record_secs} s at 10:15 HKT: its final line" \
  "\`scripts/perf.sh\`" "$final; $rec_cpu (load $(load))"

# --- benches --------------------------------------------------------------------------------------
bench() {
  log "cargo bench --bench $1"
  cargo bench -q --bench "$1" -- "${crit[@]}" "$2" > "$work/$1.out" 2>&1 || { cat "$work/$1.out" >&2; exit 1; }
}
bench decode 'decode/(hk_full_day_intraday_332|part_sha1_of_the_body)$'
row "Decode a full-day HK intraday reply (332 items): frame, SHA-1, rows, freed" "\`cargo bench --bench decode\`" \
  "**$(median "$work/decode.out" decode/hk_full_day_intraday_332)** of the thread's CPU time (SHA-1 alone $(median "$work/decode.out" decode/part_sha1_of_the_body); load $(load))"
bench render 'render_200x60_60_stocks/'
row "Render the whole dashboard, 60 stocks at 200×60" "\`cargo bench --bench render\`" \
  "**$(median "$work/render.out" render_200x60_60_stocks/intraday)** (intraday), $(median "$work/render.out" render_200x60_60_stocks/day) (day history)"
bench store 'store/(insert_300_stocks_one_day|read_one_stock_day|read_one_stock_year_of_days_and_closes)$'
row "Store: insert a 300-stock HK day / read a stock-day" "\`cargo bench --bench store\`" \
  "**$(median "$work/store.out" store/insert_300_stocks_one_day) / $(median "$work/store.out" store/read_one_stock_day)**"
row "Store: read one stock's year of day rows and day closes (250 each)" "\`cargo bench --bench store\`" \
  "**$(median "$work/store.out" store/read_one_stock_year_of_days_and_closes)** (target ≤ 2 ms)"
bench flowmap '^(treemap_layout_300_tiles_200x56|flow_map_redraw_200x60/(60|300)_stocks)$'
row "Flow map: lay out 300 tiles / redraw the map at 200×60, 60 stocks (300 stocks)" "\`cargo bench --bench flowmap\`" \
  "**$(median "$work/flowmap.out" treemap_layout_300_tiles_200x56) / $(median "$work/flowmap.out" flow_map_redraw_200x60/60_stocks)** ($(median "$work/flowmap.out" flow_map_redraw_200x60/300_stocks))"
bench sim_history 'sim_capital_flow_2026_11_25/(day|week|month)$'
row "The simulator answering a year of DAY / WEEK / MONTH rows (HK.00700, 2026-11-25 10:15:30 HKT)" "\`cargo bench --bench sim_history\`" \
  "**$(median "$work/sim_history.out" sim_capital_flow_2026_11_25/day) / $(median "$work/sim_history.out" sim_capital_flow_2026_11_25/week) / $(median "$work/sim_history.out" sim_capital_flow_2026_11_25/month)**"

# --- the simulator's rate -------------------------------------------------------------------------
log "sim throughput, ${tput_secs}s"
tput=$(target/release/examples/sim_throughput 8 "$tput_secs" 2>&1 | grep -o '[0-9][0-9,.]* requests/s' | head -n 1)
row "Requests the simulator serves, 8 clients, no rate limit (272-item intraday replies)" \
  "\`cargo run --release --example sim_throughput\`" "**${tput:-?}** (load $(load))"

# --- the table ------------------------------------------------------------------------------------
commit=$(git rev-parse --short HEAD)
git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
mode=full
[ "$quick" = 1 ] && mode="quick (rough figures)"
echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit on $(nproc) cores ($cpu), $mode, by \`scripts/perf.sh\`:"
echo
echo "| What | How | Figure |"
echo "|---|---|---|"
printf '%s\n' "${rows[@]}"
