#!/usr/bin/env bash
# Is the latency `pgpubsub bench` reports the server's, or its own timer's? Hold it against a
# bare sqlx probe (examples/bare_latency.rs: one PgListener, one sender on its own thread at a
# fixed rate with its own precise timer, latency from the *actual* send) on the same throwaway
# server, in the same run: `pgpubsub bench --rate R --batch 1 --senders 1 --listeners 1` at
# 1000/s and 10000/s, alternating with the probe (the order reverses every other round, so
# neither always runs in the other's wake), ROUNDS rounds of DURATION each.
#
# Goal, on the medians over the rounds: bench's p50 within 1.2x (+ 50 us) of the probe's, and
# its p99 within 1.5x (+ 200 us). Bench counts latency from the *schedule* (so a late send shows),
# the probe from the actual send: the goal holds only if bench keeps its schedule. Both senders'
# lag (actual send - schedule) is printed beside: a busy machine delays both senders alike, but
# only bench counts that delay as latency. The probe waits for each commit before its next send;
# bench's sender sends on another session of its own when one is still busy (the sessions it
# used are printed too).
#
#   benches/latency.sh               DURATION=3s ROUNDS=5 by default
#   ROUNDS=9 DURATION=5s benches/latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-3s}
ROUNDS=${ROUNDS:-5}
RATES=${RATES:-"1000 10000"}
command -v jq >/dev/null || { echo "latency.sh: jq not found" >&2; exit 1; }

. benches/lib.sh
# Build, and ask cargo where it put the programs (CARGO_TARGET_DIR may move them).
built=$(cargo build --release --quiet --bin pgpubsub --example bare_latency --message-format=json |
  jq -r 'select(.reason == "compiler-artifact" and .executable != null) | .executable')
BIN=$(grep '/pgpubsub$' <<<"$built")
PROBE=$(grep '/bare_latency$' <<<"$built")
work=$(mktemp -d)
at_exit 'rm -rf "$work"'
start_sandbox "$BIN"
url=$DATABASE_URL
secs=$(awk -v d="$DURATION" 'BEGIN { sub(/s$/, "", d); print d + 0 }')

# run_probe RATE: "p50 p99 lag_p99" in microseconds, and the rate it actually sent at.
run_probe() {
  "$PROBE" "$url" "$1" "$(awk -v r="$1" -v s="$secs" 'BEGIN { print int(r * s) }')" |
    jq -r '"\(.p50_us) \(.p99_us) \(.lag_p99_us) \(.achieved_rate)"'
}

# run_bench RATE: "p50 p99 lag_p99" in microseconds, and the sessions its sender used.
run_bench() {
  "$BIN" bench -d "$url" --rate "$1" --batch 1 --senders 1 --listeners 1 \
    --duration "$DURATION" --json 2>/dev/null |
    jq -r '"\(.latency_us.p50) \(.latency_us.p99) \(.sender_lag_us.p99) \(.sender_sessions)"'
}

for rate in $RATES; do : >"$work/$rate"; done
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for rate in $RATES; do
    if ((round % 2)); then
      probe=$(run_probe "$rate"); bench=$(run_bench "$rate")
    else
      bench=$(run_bench "$rate"); probe=$(run_probe "$rate")
    fi
    read -r pp50 pp99 plag prate <<<"$probe"
    read -r bp50 bp99 blag sessions <<<"$bench"
    echo "$pp50 $pp99 $bp50 $bp99 $blag $plag" >>"$work/$rate"
    printf 'round %d %5d/s: probe p50 %4d p99 %5d (lag p99 %6d, sent %5d/s) | bench p50 %4d p99 %5d (lag p99 %5d, %d sessions) us\n' \
      "$round" "$rate" "$pp50" "$pp99" "$plag" "$prate" "$bp50" "$bp99" "$blag" "$sessions"
  done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# The median of column $2 of file $1.
median() {
  sort -g -k"$2","$2" "$1" | awk -v c="$2" '{ v[NR] = $c }
    END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for rate in $RATES; do
  f=$work/$rate
  awk -v rate="$rate" -v pp50="$(median "$f" 1)" -v pp99="$(median "$f" 2)" \
    -v bp50="$(median "$f" 3)" -v bp99="$(median "$f" 4)" -v lag="$(median "$f" 5)" \
    -v plag="$(median "$f" 6)" 'BEGIN {
      ok50 = bp50 <= 1.2 * pp50 + 50; ok99 = bp99 <= 1.5 * pp99 + 200
      printf "%6d/s medians: p50 bench %d us / probe %d us = %.2fx (goal <= 1.2x + 50 us) %s\n",
        rate, bp50, pp50, bp50 / pp50, ok50 ? "ok" : "MISSED"
      printf "%6d/s medians: p99 bench %d us / probe %d us = %.2fx (goal <= 1.5x + 200 us) %s\n",
        rate, bp99, pp99, bp99 / pp99, ok99 ? "ok" : "MISSED"
      printf "%6d/s medians: sender lag p99 bench %d us, probe %d us (the probe does not count its own)\n",
        rate, lag, plag }'
done
exit 0
