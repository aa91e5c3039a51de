#!/usr/bin/env bash
# How much does `pgpubsub bench` itself cost? Compare its send rate (--batch 1000 --senders 1
# --listeners 1) with pgbench running the same batched statement (one transaction of 1000
# distinct 64-byte payloads through unnest + pg_notify) on the same throwaway server, in the
# same run, interleaved ROUNDS times so that other load on the machine hits all alike.
#
# Two baselines: pgbench while a bare sqlx listener (examples/notify_sink.rs) drains the
# channel, which is like for like (the server feeds one listener in both), and pgbench alone,
# the strict one (pgpubsub also pays for its listener's backend and for checking every payload).
#
#   benches/bench.sh                 DURATION=5s ROUNDS=3 by default
#   DURATION=10s ROUNDS=5 benches/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-3}
BATCH=1000
SIZE=64
# Debian's /usr/bin/pgbench is a wrapper that wants a cluster; the real binary is off PATH.
PGBENCH=${PGBENCH:-$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1)}
PGBENCH=${PGBENCH:-$(command -v pgbench)}
[ -x "$PGBENCH" ] || { echo "bench.sh: pgbench not found (set PGBENCH)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench.sh: jq not found" >&2; exit 1; }

cargo build --release --quiet --bin pgpubsub --example notify_sink
BIN=target/release/pgpubsub
SINK=target/release/examples/notify_sink
work=$(mktemp -d)

# A sandbox for this run; SIGTERM makes it remove its server and data.
"$BIN" sandbox >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox=$!
trap 'kill -TERM $sandbox 2>/dev/null; wait $sandbox 2>/dev/null || true; rm -rf "$work"' EXIT
until grep -q '^export DATABASE_URL=' "$work/sandbox.out"; do
  kill -0 $sandbox 2>/dev/null || { cat "$work/sandbox.err" >&2; exit 1; }
  sleep 0.1
done
url=$(sed -n 's/^export DATABASE_URL=//p' "$work/sandbox.out")

# The pgbench script: the statement pgpubsub sends, with its two arrays written out as literals.
payloads=$(for i in $(seq 0 $((BATCH - 1))); do printf '"%-*s"\n' "$SIZE" "$i:" | tr ' ' '.'; done | paste -sd,)
cat >"$work/notify.sql" <<EOF
SELECT count(pg_notify(c, p)) FROM unnest(array_fill('pgbench_chan'::text, ARRAY[$BATCH]), '{$payloads}'::text[]) AS t(c, p);
EOF
secs=$(awk -v d="$DURATION" 'BEGIN { sub(/s$/, "", d); print int(d) }')

# pgbench's send rate in notifications/s.
run_pgbench() {
  "$PGBENCH" -n -c 1 -j 1 -T "$secs" -f "$work/notify.sql" "$url" >"$work/pgbench.out" 2>&1 ||
    { cat "$work/pgbench.out" >&2; exit 1; }
  sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/pgbench.out" |
    awk -v b=$BATCH '{ printf "%.0f", $1 * b }'
}

# pgbench while the bare listener drains its channel.
run_pgbench_listened() {
  coproc SINK_PROC { DATABASE_URL=$url exec "$SINK" pgbench_chan; }
  local out=${SINK_PROC[0]} in=${SINK_PROC[1]} ready
  read -r ready <&"$out"
  [ "$ready" = listening ] || { echo "bench.sh: notify_sink did not start" >&2; exit 1; }
  run_pgbench
  exec {in}>&-
  wait "$SINK_PROC_PID"
}

run_pgpubsub() {
  "$BIN" bench -d "$url" --batch $BATCH --senders 1 --listeners 1 --payload-size $SIZE \
    --duration "$DURATION" --json | jq '.send_rate.total | floor'
}

alone=() listened=() ours=()
for round in $(seq "$ROUNDS"); do
  alone+=("$(run_pgbench)")
  listened+=("$(run_pgbench_listened)")
  ours+=("$(run_pgpubsub)")
  printf 'round %d: pgbench %s/s, pgbench + bare listener %s/s, pgpubsub bench %s/s\n' \
    "$round" "${alone[-1]}" "${listened[-1]}" "${ours[-1]}"
done

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
awk -v a="$(median "${alone[@]}")" -v l="$(median "${listened[@]}")" -v o="$(median "${ours[@]}")" 'BEGIN {
  printf "median notifications/s: pgbench %d, pgbench + bare listener %d, pgpubsub bench %d\n", a, l, o
  printf "pgpubsub bench / (pgbench + bare listener): %.1f%% (target >= 85%%)\n", 100 * o / l
  printf "pgpubsub bench / pgbench alone:             %.1f%%\n", 100 * o / a
}'
