#!/usr/bin/env bash
# Benchmark `pgpubsub notify` against pgbench and psql, on one throwaway server, in one run, and
# print each ratio next to its goal (issue #4). Nothing here is a pass/fail test. Each side runs
# ROUNDS times, interleaved with the other, and its best rate counts: other load on the machine
# only ever slows a run down, so the best of a few is the least disturbed.
#
#   cargo build --release && benches/notify.sh            (or: benches/notify.sh path/to/pgpubsub)
#
# Needs pgbench and psql (PostgreSQL's client binaries) and what `pgpubsub sandbox` needs.
set -eu

BIN=${1:-target/release/pgpubsub}
PGBENCH=${PGBENCH:-$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)}
PSQL=${PSQL:-psql}
DISTINCT=${DISTINCT:-1000000}    # lines of `seq 1 N`
IDENTICAL=${IDENTICAL:-100000}   # lines of `yes x | head -n N`
ONESHOTS=${ONESHOTS:-50}         # one-shot runs of each command
ROUNDS=${ROUNDS:-3}              # interleaved repetitions; the best rate of each side counts

[ -x "$BIN" ] || { echo "no $BIN: run cargo build --release first" >&2; exit 2; }
[ -x "$PGBENCH" ] || { echo "pgbench not found; set PGBENCH" >&2; exit 2; }

work=$(mktemp -d)
"$BIN" sandbox >"$work/url" 2>"$work/sandbox.log" &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null; wait "$sandbox" 2>/dev/null; rm -rf "$work"' EXIT
until grep -q DATABASE_URL "$work/url"; do
    kill -0 "$sandbox" 2>/dev/null || { cat "$work/sandbox.log" >&2; exit 1; }
    sleep 0.1
done
export DATABASE_URL=$(sed 's/^export DATABASE_URL=//' "$work/url")
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE

now() { date +%s.%N; }
# timed COUNT CMD...: COUNT per second over CMD's wall time.
timed() {
    local n=$1 start end; shift
    start=$(now); "$@"; end=$(now)
    awk -v n="$n" -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", n / (b - a) }'
}
# pgbench_rate PER_TX ARGS...: notifications per second from pgbench's tps.
pgbench_rate() {
    local per_tx=$1; shift
    "$PGBENCH" -n -c 1 "$@" "$DATABASE_URL" 2>&1 |
        awk -v k="$per_tx" '/^tps/ { printf "%.0f", $3 * k }'
}
max() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
report() { # NAME OURS BASELINE_NAME BASELINE GOAL
    awk -v name="$1" -v ours="$2" -v bname="$3" -v base="$4" -v goal="$5" 'BEGIN {
        r = ours / base
        printf "%-28s pgpubsub %10.0f/s   %-30s %10.0f/s   ratio %.2f (goal >= %.2f) %s\n",
            name, ours, bname, base, r, goal, (r >= goal ? "ok" : "BELOW GOAL") }'
}
distinct() { seq 1 "$DISTINCT" | "$BIN" notify bench -; }
identical() { yes x | head -n "$IDENTICAL" | "$BIN" notify bench -; }
psql_oneshots() {
    for _ in $(seq "$ONESHOTS"); do
        "$PSQL" -X -q -d "$DATABASE_URL" -c "select pg_notify('chan','payload')" >/dev/null
    done
}
oneshots() { for _ in $(seq "$ONESHOTS"); do "$BIN" notify chan payload; done; }

echo "server: $("$PSQL" -X -A -t -d "$DATABASE_URL" -c 'SHOW server_version')," \
    "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), best of $ROUNDS"

echo "SELECT pg_notify('bench', g::text) FROM generate_series(1, 1000) g;" >"$work/rows.sql"
echo "SELECT count(pg_notify('bench', g::text)) FROM generate_series(1, 1000) g;" >"$work/count.sql"
echo "SELECT pg_notify('bench', 'x');" >"$work/one.sql"
for _ in $(seq "$ROUNDS"); do
    # 1. Distinct lines: batched transactions vs pgbench sending 1000 per transaction, written
    #    the tuned way (one count back: the goal) and the plain way (a row per notification).
    count=$(max "${count:-}" "$(pgbench_rate 1000 -t $((DISTINCT / 1000)) -M prepared -f "$work/count.sql")")
    rows=$(max "${rows:-}" "$(pgbench_rate 1000 -t $((DISTINCT / 1000)) -M prepared -f "$work/rows.sql")")
    ours1=$(max "${ours1:-}" "$(timed "$DISTINCT" distinct)")
    # 2. Identical lines: one transaction each, by necessity, vs pgbench one per transaction.
    single=$(max "${single:-}" "$(pgbench_rate 1 -t "$IDENTICAL" -M prepared -f "$work/one.sql")")
    ours2=$(max "${ours2:-}" "$(timed "$IDENTICAL" identical)")
    # 3. One-shot wall time (start, connect, send, exit) as runs per second: higher is faster,
    #    so the goal "<= 0.3x psql's wall time" is a ratio >= 1/0.3.
    psql=$(max "${psql:-}" "$(timed "$ONESHOTS" psql_oneshots)")
    ours3=$(max "${ours3:-}" "$(timed "$ONESHOTS" oneshots)")
done
report "seq 1 $DISTINCT" "$ours1" "pgbench, 1000/tx, count(..)" "$count" 0.80
report "  (same run)" "$ours1" "pgbench, 1000/tx, row each" "$rows" 0.80
report "$IDENTICAL identical lines" "$ours2" "pgbench, 1 per transaction" "$single" 1.50
report "one-shot notify chan payload" "$ours3" "psql -c \"select pg_notify(..)\"" "$psql" 3.33
