#!/usr/bin/env bash
# How much does `pgpubsub bench` itself cost? Compare its send rate (--batch 1000 --senders 1
# --listeners 1) with pgbench running the same batched statement (one transaction of 1000
# distinct 64-byte payloads through unnest + pg_notify) on the same throwaway server, in the
# same run. Each round runs all three (in an order that reverses every other round, so none
# always runs in another's wake) and gives one ratio per baseline; the median ratio of ROUNDS
# rounds is judged, with its range: runs swing by +-15 % on a shared 2-core machine.
#
# Two baselines: pgbench alone, which is the goal's ("pgbench's rate for the same batched
# statement"), and pgbench while a bare sqlx listener (examples/notify_sink.rs) drains the
# channel, which is like for like (the server feeds one listener in both). On a 2-core machine
# with PostgreSQL 15 the second often measured faster than pgbench alone (by up to 30 %), so
# it can be the stricter comparison; both are printed.
#
#   benches/bench.sh                 DURATION=5s ROUNDS=5 by default
#   DURATION=10s ROUNDS=5 benches/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
BATCH=1000
SIZE=64
. benches/lib.sh
PGBENCH=$(pgbench_bin)
[ -x "$PGBENCH" ] || { echo "bench.sh: pgbench not found (set PGBENCH)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench.sh: jq not found" >&2; exit 1; }

BIN=$(release_bin pgpubsub)
SINK=$(release_bin notify_sink)
work=$(mktemp -d)
at_exit 'rm -rf "$work"'
start_sandbox "$BIN"
url=$DATABASE_URL

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

by_listened=() by_alone=()
for round in $(seq "$ROUNDS"); do
  if ((round % 2)); then
    alone=$(run_pgbench); listened=$(run_pgbench_listened); ours=$(run_pgpubsub)
  else
    ours=$(run_pgpubsub); listened=$(run_pgbench_listened); alone=$(run_pgbench)
  fi
  by_listened+=("$(awk -v o="$ours" -v b="$listened" 'BEGIN { print o / b }')")
  by_alone+=("$(awk -v o="$ours" -v b="$alone" 'BEGIN { print o / b }')")
  printf 'round %d: pgbench %s/s, pgbench + bare listener %s/s, pgpubsub bench %s/s\n' \
    "$round" "$alone" "$listened" "$ours"
done

# summary NAME TARGET RATIO...: the median ratio in percent, with the range.
summary() {
  local name=$1 target=$2; shift 2
  printf '%s\n' "$@" | sort -g | awk -v name="$name" -v target="$target" '
    { v[NR] = $1 }
    END {
      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "pgpubsub bench / %-27s %5.1f%% [%.1f-%.1f%%]%s\n", name ":", 100 * m,
        100 * v[1], 100 * v[NR], target ? sprintf(" (goal >= %d%%)", target) : " (like for like)" }'
}
summary "pgbench alone" 85 "${by_alone[@]}"
summary "(pgbench + bare listener)" 0 "${by_listened[@]}"
