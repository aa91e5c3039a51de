#!/usr/bin/env bash
# `pgpubsub serve` under load, on a throwaway server, with a load generator of its own
# (examples/sse_load.rs: many SSE subscribers in one process, plain sockets) and a baseline
# measured in the same run for each figure:
#
# 1. Fan-out: SUBSCRIBERS (10 000) streams of one channel, RATE (10) notifications/s for
#    DURATION (30) seconds, one per transaction. Every subscriber must receive every notification, in
#    order; reported: latency from the send to the LAST subscriber, p50 and p99 (goal p99 <=
#    50 ms), beside a plain sqlx PgListener's latency for the same notifications. Memory per
#    idle subscriber: serve's resident memory before and after SUBSCRIBERS idle streams
#    opened (goal <= 16 KiB).
# 2. Throughput: 100 subscribers of one channel while one sender (`seq | pgpubsub notify -`)
#    sends THROUGHPUT_N (500 000) notifications as fast as it goes: notifications delivered
#    per second across all subscribers (goal >= 1 000 000/s), beside the rate at which one
#    plain PgListener receives the same notifications. serve runs with a buffer that holds the
#    whole run (--buffer 1000000), so no subscriber is cut off and the rate is serve's own.
# 3. The point of it: pgbench sending one NOTIFY per transaction (4 clients, PGBENCH_SECONDS
#    each) on a channel no one listens to, while (0) nothing else, (a) one `pgpubsub listen`,
#    (b) `serve` with 1000 subscribers on 50 other channels, (c) 50 `pgpubsub listen` processes
#    on those 50 channels are connected; ROUNDS (3) rounds in an order that turns every round,
#    median tps and the ratio to (a) (goal: (b) >= 0.9 x (a)).
#
# The machine's load average is printed before and after each part: on a shared machine the
# figures move with it.
#
#   benches/serve.sh                      SUBSCRIBERS=10000 RATE=10 DURATION=30 ROUNDS=3
#   SUBSCRIBERS=2000 DURATION=10 PARTS=1 benches/serve.sh    (PARTS: which of 1 2 3 to run)
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS=${SUBSCRIBERS:-10000}
RATE=${RATE:-10}
DURATION=${DURATION:-30}
THROUGHPUT_N=${THROUGHPUT_N:-500000}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-5}
ROUNDS=${ROUNDS:-3}
PARTS=${PARTS:-1 2 3}
. benches/lib.sh
PGBENCH=$(pgbench_bin)
[ -x "$PGBENCH" ] || { echo "serve.sh: pgbench not found (set PGBENCH)" >&2; exit 1; }
command -v jq >/dev/null || { echo "serve.sh: jq not found" >&2; exit 1; }
# Each subscriber is a socket in the load generator and one in serve.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt $((SUBSCRIBERS + 1000)) ]; then
  echo "serve.sh: the open-file limit ($(ulimit -n)) is too low for $SUBSCRIBERS subscribers" >&2
  exit 1
fi

BIN=$(release_bin pgpubsub)
LOAD=$(release_bin sse_load)
work=$(mktemp -d)
at_exit 'rm -rf "$work"'
start_sandbox "$BIN"
url=$DATABASE_URL
load() { echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"; }
rss_kib() { awk '/VmRSS/ { print $2 }' "/proc/$1/status"; }
# writes PID: the write calls process PID has made (writev included).
writes() { awk '/^syscw/ { print $2 }' "/proc/$1/io"; }
# cpu_ms PID: the CPU time (user + system) process PID has used, in ms.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"; }

# start_serve NAME ARGS...: serve on a free port, in the background; sets SERVE_PID, SERVE_URL.
start_serve() {
  local name=$1; shift
  "$BIN" serve -d "$url" --bind 127.0.0.1:0 --channel '*' "$@" 2>"$work/$name.err" &
  SERVE_PID=$!
  stop_at_exit "$SERVE_PID"
  wait_for_line "$work/$name.err" "serving http"
  SERVE_URL=$(sed -n 's|.*serving \(http://[0-9.:]*\)/.*|\1|p' "$work/$name.err")
}

stop_serve() {
  kill "$SERVE_PID"
  wait "$SERVE_PID" 2>/dev/null || true
}

part() { [[ " $PARTS " == *" $1 "* ]]; }

if part 1; then
echo "== 1. fan-out: $SUBSCRIBERS subscribers of one channel, $RATE notifications/s for ${DURATION}s"
load
start_serve memory --max-subscribers $((SUBSCRIBERS + 100))
sleep 1
before=$(rss_kib "$SERVE_PID")
mkfifo "$work/hold"
"$LOAD" idle "$SERVE_URL" idle_a "$SUBSCRIBERS" <"$work/hold" >"$work/idle.out" &
idle=$!
exec {hold}>"$work/hold"
wait_for_line "$work/idle.out" ready
sleep 2
after=$(rss_kib "$SERVE_PID")
exec {hold}>&-
wait "$idle"
stop_serve
per_sub=$(awk -v a="$after" -v b="$before" -v n="$SUBSCRIBERS" 'BEGIN { printf "%.1f", (a - b) / n }')
printf 'memory: serve %d KiB before, %d KiB with %d idle subscribers: %s KiB per idle subscriber (goal <= 16 KiB) %s\n' \
  "$before" "$after" "$SUBSCRIBERS" "$per_sub" "$(awk -v p="$per_sub" 'BEGIN { print (p <= 16 ? "ok" : "MISSED") }')"

start_serve fanout --max-subscribers $((SUBSCRIBERS + 100))
"$LOAD" fanout "$SERVE_URL" "$url" fan "$SUBSCRIBERS" "$RATE" "$DURATION" >"$work/fanout.json" 2>"$work/fanout.err" &
loadgen=$!
wait_for_line "$work/fanout.err" "subscribers listening"
serve_cpu=$(cpu_ms "$SERVE_PID")
wait "$loadgen"
serve_cpu=$(( $(cpu_ms "$SERVE_PID") - serve_cpu ))
stop_serve
jq -r '"delivery: \(.complete_subscribers) of \(.subscribers) subscribers received all \(.sent) notifications, \(.out_of_order) out of order"' "$work/fanout.json"
jq -r '"latency send -> last subscriber: p50 \(.serve_last_subscriber.p50_ms | . * 10 | round / 10) ms  p99 \(.serve_last_subscriber.p99_ms | . * 10 | round / 10) ms  max \(.serve_last_subscriber.max_ms | . * 10 | round / 10) ms (goal p99 <= 50 ms) \(if .serve_last_subscriber.p99_ms <= 50 then "ok" else "MISSED" end)"' "$work/fanout.json"
jq -r '"baseline, one plain LISTEN session: p50 \(.direct_listen.p50_ms | . * 10 | round / 10) ms  p99 \(.direct_listen.p99_ms | . * 10 | round / 10) ms"' "$work/fanout.json"
events=$((SUBSCRIBERS * RATE * DURATION))
load_cpu=$(jq .cpu_ms "$work/fanout.json")
printf 'CPU while sending: serve %.1f us, the load generator %.1f us per event delivered: %.0f ms of CPU per notification to %d subscribers, on %d CPUs\n' \
  "$(echo "$serve_cpu * 1000 / $events" | bc -l)" "$(echo "$load_cpu * 1000 / $events" | bc -l)" \
  "$(echo "($serve_cpu + $load_cpu) / ($RATE * $DURATION)" | bc -l)" "$SUBSCRIBERS" "$(nproc)"
load
fi

if part 2; then
echo "== 2. throughput: 100 subscribers, one sender as fast as it goes ($THROUGHPUT_N notifications)"
load
start_serve throughput --buffer 1000000
writes=$(writes "$SERVE_PID")
"$LOAD" throughput "$SERVE_URL" "$url" thr 100 "$THROUGHPUT_N" \
  "seq 1 $THROUGHPUT_N | '$BIN' notify -d '$url' thr -" >"$work/throughput.json"
writes=$(( $(writes "$SERVE_PID") - writes ))
stop_serve
jq -r '"delivered \(.delivered) of \(.expected) in \(.seconds * 100 | round / 100) s: \(.events_per_second | round) events/s across all subscribers (goal >= 1000000) \(if .events_per_second >= 1000000 and .delivered == .expected then "ok" else "MISSED" end)"' "$work/throughput.json"
jq -r '"per subscriber \(.events_per_second / .subscribers | round)/s; one plain LISTEN session received them at \(.direct_listen_per_second | round)/s (sender: \(.send_seconds * 100 | round / 100) s)"' "$work/throughput.json"
printf 'writes coalesced: serve made %d write calls for %d events (%.0f events per write)\n' \
  "$writes" "$(jq .delivered "$work/throughput.json")" "$(echo "$(jq .delivered "$work/throughput.json") / ($writes + 1)" | bc -l)"
load
fi

part 3 || exit 0
echo "== 3. pgbench, one NOTIFY per transaction on a channel no one listens to, 4 clients, ${PGBENCH_SECONDS}s"
echo "SELECT pg_notify('nobody_listens', 'x');" >"$work/notify.sql"
channels=$(seq -f 'other_%g' 0 49 | paste -sd,)
tps() {
  "$PGBENCH" -n -c 4 -j 2 -T "$PGBENCH_SECONDS" -f "$work/notify.sql" "$url" >"$work/pgbench.out" 2>&1 ||
    { cat "$work/pgbench.out" >&2; exit 1; }
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" | awk '{ printf "%.0f", $1 }'
}
# with SETUP: run SETUP (which starts listeners in the background and records their pids in
# $work/pids), measure, stop them.
listeners_for() {
  case $1 in
    none) ;;
    one) "$BIN" -v listen -d "$url" other_0 >/dev/null 2>"$work/one.err" &
      echo $! >>"$work/pids"
      wait_for_line "$work/one.err" "listening on" ;;
    serve)
      start_serve compare
      echo "$SERVE_PID" >>"$work/pids"
      mkfifo "$work/hold_b"
      "$LOAD" idle "$SERVE_URL" "$channels" 1000 <"$work/hold_b" >"$work/idle_b.out" &
      echo $! >>"$work/pids"
      exec {hold_b}>"$work/hold_b"
      wait_for_line "$work/idle_b.out" ready ;;
    fifty) for c in $(seq 0 49); do
        "$BIN" -v listen -d "$url" "other_$c" >/dev/null 2>"$work/l$c.err" &
        echo $! >>"$work/pids"
      done
      for c in $(seq 0 49); do wait_for_line "$work/l$c.err" "listening on"; done ;;
  esac
}
stop_listeners() {
  [ -n "${hold_b:-}" ] && { exec {hold_b}>&-; unset hold_b; rm -f "$work/hold_b"; }
  if [ -s "$work/pids" ]; then
    # shellcheck disable=SC2046
    kill $(cat "$work/pids") 2>/dev/null || true
    for pid in $(cat "$work/pids"); do wait "$pid" 2>/dev/null || true; done
  fi
  : >"$work/pids"
}
listening_sessions() {
  psql -X -A -t -d "$url" -c "SELECT count(*) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' OR query ILIKE 'UNLISTEN%'"
}
: >"$work/pids"
declare -A runs
setups=(none one serve fifty)
for round in $(seq "$ROUNDS"); do
  order=("${setups[@]:$(( (round - 1) % 4 ))}" "${setups[@]:0:$(( (round - 1) % 4 ))}")
  line="round $round:"
  for setup in "${order[@]}"; do
    listeners_for "$setup"
    sessions=$(listening_sessions)
    t=$(tps)
    stop_listeners
    runs[$setup]+="$t "
    line+=" $setup $t tps ($sessions listening sessions);"
  done
  echo "$line $(load)"
done
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
a=$(echo "${runs[one]}" | median)
for setup in none one serve fifty; do
  m=$(echo "${runs[$setup]}" | median)
  case $setup in
    none) what="(0) no listener" ;;
    one) what="(a) one pgpubsub listen" ;;
    serve) what="(b) serve, 1000 subscribers on 50 channels" ;;
    fifty) what="(c) 50 pgpubsub listen on 50 channels" ;;
  esac
  ratio=$(awk -v m="$m" -v a="$a" 'BEGIN { printf "%.2f", m / a }')
  goal=""
  [ "$setup" = serve ] && goal=$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9 ? "(goal >= 0.9) ok" : "(goal >= 0.9) MISSED") }')
  printf '%-45s median %6d tps [%s]  %s x (a) %s\n' "$what" "$m" "$(echo "${runs[$setup]}" | xargs | tr ' ' ',')" "$ratio" "$goal"
done
load
