#!/usr/bin/env bash
# Benchmark request/reply round trips on a throwaway server (`pgpubsub sandbox`):
#
#   exec    `pgpubsub reply --exec cat`: a shell and a process per request
#   plpgsql `pgpubsub reply --sql 'SELECT bench_answer($1::jsonb)'`: the README's plpgsql
#           responder answers with one pg_notify; no process per request
#
# One `pgpubsub -v request CHANNEL -` sends N requests one after another (each after the last
# reply) and reports each round trip (from before the send to the reply's arrival) on stderr;
# the first WARMUP are dropped. Printed: p50, p90, p99 per responder, and each p50 as a ratio to
# the baseline measured in the same run: twice the p50 of pgbench committing one
# `SELECT pg_notify(...)` (a request/reply is two such commits plus two deliveries).
# Goal: plpgsql p50 < 1 ms on loopback.
#
# Usage: benches/reqrep.sh     (N=2000 WARMUP=200 by default; needs psql and pgbench;
#                               honours CARGO_TARGET_DIR)
set -euo pipefail

N=${N:-2000}
WARMUP=${WARMUP:-200}
cd "$(dirname "$0")/.."

. benches/lib.sh
BIN=$(release_bin pgpubsub)
PGBENCH=$(pgbench_bin)

tmp=$(mktemp -d)
at_exit 'rm -rf "$tmp"'

start_sandbox "$BIN"
URL=$DATABASE_URL
psql -X -q -d "$URL" <<'SQL'
CREATE FUNCTION bench_answer(request jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(request->>'reply_to',
    json_build_object('id', request->'id', 'body', request->>'body')::text);
END $$;
SQL

"$BIN" -v reply bench_exec --exec cat 2>"$tmp/exec.err" &
stop_at_exit $!
"$BIN" -v reply bench_sql --sql 'SELECT bench_answer($1::jsonb)' 2>"$tmp/sql.err" &
stop_at_exit $!
wait_for_line "$tmp/exec.err" "answering requests"
wait_for_line "$tmp/sql.err" "answering requests"

# Percentiles P... (0-100) of the numbers on stdin, one per line.
percentiles() {
    sort -g | awk -v ps="$*" '{ v[NR] = $1 } END {
        n = split(ps, p, " ");
        for (i = 1; i <= n; i++) {
            k = int(p[i] / 100 * NR + 0.5); if (k < 1) k = 1; if (k > NR) k = NR;
            printf "%s%.3f", (i > 1 ? " " : ""), v[k]
        }
        print ""
    }'
}

# Round trips in ms of N requests on CHANNEL, warmup dropped.
round_trips() {
    seq "$N" | "$BIN" -v request "$1" - 2>&1 >/dev/null |
        sed -n 's/.*reply 1\/1 to request \([0-9]*\) in \([0-9.]*\) ms/\1 \2/p' |
        awk -v w="$WARMUP" '$1 > w { print $2 }'
}

# Baseline: pgbench committing one pg_notify per transaction, latencies logged per
# transaction (microseconds in the third column).
echo "SELECT pg_notify('bench_baseline', 'x');" >"$tmp/notify.sql"
(cd "$tmp" && "$PGBENCH" -n -c 1 -t "$N" -f notify.sql -l --log-prefix=baseline "$URL" >/dev/null)
read -r base_p50 < <(cat "$tmp"/baseline* | awk -v w="$WARMUP" 'NR > w { print $3 / 1000 }' |
    percentiles 50)
floor=$(awk -v b="$base_p50" 'BEGIN { printf "%.3f", 2 * b }')

read -r exec_p50 exec_p90 exec_p99 < <(round_trips bench_exec | percentiles 50 90 99)
read -r sql_p50 sql_p90 sql_p99 < <(round_trips bench_sql | percentiles 50 90 99)

cores=$(nproc)
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "request/reply round trips, $((N - WARMUP)) requests each after $WARMUP warmup;" \
    "$cores cores, load average $load"
printf '%-34s %9s %9s %9s %14s\n' responder "p50 ms" "p90 ms" "p99 ms" "p50/baseline"
row() {
    printf '%-34s %9s %9s %9s %14s\n' "$1" "$2" "$3" "$4" \
        "$(awk -v a="$2" -v b="$floor" 'BEGIN { printf "%.2f", a / b }')"
}
row "reply --exec cat" "$exec_p50" "$exec_p90" "$exec_p99"
row "reply --sql (plpgsql responder)" "$sql_p50" "$sql_p90" "$sql_p99"
echo "baseline: 2 x pgbench p50 of one pg_notify commit = $floor ms"
verdict=$(awk -v a="$sql_p50" 'BEGIN { print (a < 1.0) ? "met" : "NOT met" }')
echo "goal plpgsql p50 < 1 ms: $verdict"
