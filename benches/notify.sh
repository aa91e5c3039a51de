#!/usr/bin/env bash
# Benchmark `pgpubsub notify` against pgbench and psql, on one throwaway server, in one run, and
# print each ratio next to its goal (issue #4). Nothing here is a pass/fail test. Each round runs
# the baseline and pgpubsub back to back and takes their ratio; the median of ROUNDS rounds is
# judged, and the range is printed with it. Runs of half a second swing by +-15 % on a shared
# 2-core machine, so a best-of on each side would compare one lucky run with another.
#
#   benches/notify.sh            (builds the release binary; or: benches/notify.sh path/to/pgpubsub)
#
# Needs pgbench and psql (PostgreSQL's client binaries) and what `pgpubsub sandbox` needs.
set -eu
. "$(dirname "$0")/lib.sh"

BIN=${1:-$(release_bin pgpubsub)}
PGBENCH=$(pgbench_bin)
PSQL=${PSQL:-psql}
DISTINCT=${DISTINCT:-1000000}    # lines of `seq 1 N`
IDENTICAL=${IDENTICAL:-100000}   # lines of `yes x | head -n N`
ONESHOTS=${ONESHOTS:-50}         # one-shot runs of each command
ROUNDS=${ROUNDS:-5}              # rounds; each gives one ratio per comparison

[ -x "$BIN" ] || { echo "no pgpubsub binary ($BIN)" >&2; exit 2; }
[ -x "$PGBENCH" ] || { echo "pgbench not found; set PGBENCH" >&2; exit 2; }

work=$(mktemp -d)
at_exit 'rm -rf "$work"'
start_sandbox "$BIN"

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
# record NAME OURS BASELINE: one round's rates of a comparison, appended to its file.
record() { echo "$2 $3" >>"$work/$1"; }
median() { sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# report NAME LABEL BASELINE_LABEL GOAL: median rates and median ratio (with range) of NAME.
report() {
    local ratios
    ratios=$(awk '{ printf "%.4f\n", $1 / $2 }' "$work/$1" | sort -g)
    awk -v label="$2" -v bname="$3" -v goal="$4" -v r="$(median <<<"$ratios")" \
        -v ours="$(cut -d' ' -f1 "$work/$1" | median)" -v base="$(cut -d' ' -f2 "$work/$1" | median)" \
        -v lo="$(head -n 1 <<<"$ratios")" -v hi="$(tail -n 1 <<<"$ratios")" 'BEGIN {
        printf "%-28s pgpubsub %9.0f/s  %-30s %9.0f/s  ratio %.2f [%.2f-%.2f] (goal >= %.2f) %s\n",
            label, ours, bname, base, r, lo, hi, goal, (r >= goal ? "ok" : "BELOW GOAL") }'
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
    "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), median of $ROUNDS rounds [range]"

# The goal's baseline sends exactly the payloads `seq 1 N` gives, 1000 per transaction, one count
# back; the references send 1..1000 in every transaction, with one count or a row each back.
echo "SELECT pg_notify('bench', g::text) FROM generate_series(1, 1000) g;" >"$work/rows.sql"
echo "SELECT count(pg_notify('bench', g::text)) FROM generate_series(1, 1000) g;" >"$work/count.sql"
printf '%s\n' '\set n :n + 1000' \
    "SELECT count(pg_notify('bench', g::text)) FROM generate_series(:n - 999, :n) g;" >"$work/seq.sql"
echo "SELECT pg_notify('bench', 'x');" >"$work/one.sql"
tx=$((DISTINCT / 1000))
seq_pgbench() { pgbench_rate 1000 -t "$tx" -M prepared -D n=0 -f "$work/seq.sql"; }
count_pgbench() { pgbench_rate 1000 -t "$tx" -M prepared -f "$work/count.sql"; }
rows_pgbench() { pgbench_rate 1000 -t "$tx" -M prepared -f "$work/rows.sql"; }
one_pgbench() { pgbench_rate 1 -t "$IDENTICAL" -M prepared -f "$work/one.sql"; }
distinct_rate() { timed "$DISTINCT" distinct; }
identical_rate() { timed "$IDENTICAL" identical; }
oneshot_rate() { timed "$ONESHOTS" oneshots; }
psql_rate() { timed "$ONESHOTS" psql_oneshots; }
# pair OURS BASELINE: both rates, "ours baseline", run in an order that swaps every round, so
# that neither side always runs in the wake of the other (or of the previous comparison).
pair() {
    local ours base
    if ((round % 2)); then ours=$($1); base=$($2); else base=$($2); ours=$($1); fi
    echo "$ours $base"
}
for round in $(seq "$ROUNDS"); do
    # 1. Distinct lines: batched transactions vs pgbench sending the same notifications; then
    #    two references: 1..1000 in every transaction, with one count or a row each back.
    read -r ours base < <(pair distinct_rate seq_pgbench)
    record distinct "$ours" "$base"
    record count "$ours" "$(count_pgbench)"
    record rows "$ours" "$(rows_pgbench)"
    # 2. Identical lines: one transaction each, by necessity, vs pgbench one per transaction.
    record identical $(pair identical_rate one_pgbench)
    # 3. One-shot wall time (start, connect, send, exit) as runs per second: higher is faster,
    #    so the goal "<= 0.3x psql's wall time" is a ratio >= 1/0.3.
    record oneshot $(pair oneshot_rate psql_rate)
done
report distinct "seq 1 $DISTINCT" "pgbench, same payloads" 0.80
report count "  (same run)" "pgbench, 1..1000 each tx" 0.80
report rows "  (same run)" "pgbench, 1..1000, row each" 0.80
report identical "$IDENTICAL identical lines" "pgbench, 1 per transaction" 1.50
report oneshot "one-shot notify chan payload" "psql -c \"select pg_notify(..)\"" 3.33
