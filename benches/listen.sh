#!/usr/bin/env bash
# Benchmark `pgpubsub listen` on a throwaway server (started with `pgpubsub sandbox`):
#
# 1. Throughput: pgbench sends N distinct notifications in 1000-per-transaction batches, to a
#    bare sqlx PgListener recv loop (examples/bare_listener.rs, the baseline) and to
#    `pgpubsub listen --json -c N > /dev/null`, alternating, ROUNDS times each, in two modes:
#    live (sent while received: time from the first send to the last receipt, and how long
#    after the sender the receiver finished; keeping up = ~0) and drain (the receiver is
#    stopped while all N are queued, then continued: its pure receive rate). Reported: the
#    best time of each and their ratio (target <= 1.2).
# 2. Memory under backpressure: stdout goes to a reader that never reads, N notifications are
#    sent, and once the listener's backend is blocked writing to it, the listener's peak RSS
#    (VmHWM) is read (target < 30 MiB): the backlog must stay in the server's queue.
#
# 3. With CALLGRIND=1 instead: the instructions each receiver executes to drain N (100000 by
#    default) queued notifications, counted by valgrind's callgrind (repeatable on a loaded
#    machine, where wall-clock ratios are not), and their ratio (bare / pgpubsub, serial: both
#    of pgpubsub's threads counted, as if it had one core).
#
# Usage: benches/listen.sh            (N=1000000 ROUNDS=3 by default; needs pgbench and psql)
#        CALLGRIND=1 benches/listen.sh  (needs valgrind)
set -euo pipefail

N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
BATCH=1000
cd "$(dirname "$0")/.."

. benches/lib.sh
BIN=$(release_bin pgpubsub)
BARE=$(release_bin bare_listener)
PGBENCH=$(pgbench_bin)

tmp=$(mktemp -d)
at_exit 'rm -rf "$tmp"'

now() { date +%s.%N; }

start_sandbox "$BIN"
URL=$DATABASE_URL
psql -X -q -d "$URL" -c "CREATE SEQUENCE bench_seq"
echo "SELECT pg_notify('bench', s || '-' || g) FROM (SELECT nextval('bench_seq') AS s) AS x, generate_series(1, $BATCH) AS g;" >"$tmp/send.sql"

send() {
    "$PGBENCH" -n -c 1 -t $((N / BATCH)) -f "$tmp/send.sql" "$URL" >/dev/null
}

# Run one receiver (its command line in "$@"; it prints "listening" on stderr when ready and
# exits after N notifications) in MODE: "live" sends while it receives and prints
# "seconds_from_first_send lag_after_sender"; "drain" stops the receiver, sends everything,
# continues it and prints "seconds_to_receive_the_backlog 0".
measure() {
    local mode=$1
    shift
    "$@" >/dev/null 2>"$tmp/receiver.err" &
    local receiver=$!
    wait_for_line "$tmp/receiver.err" "listening"
    local start sent end
    if [ "$mode" = drain ]; then
        kill -STOP "$receiver"
        send
        start=$(now)
        kill -CONT "$receiver"
        sent=$start
    else
        start=$(now)
        send
        sent=$(now)
    fi
    wait "$receiver"
    end=$(now)
    echo "$(echo "$end - $start" | bc) $(echo "$end - $sent" | bc)"
}

min() { echo "if ($1 < $2) $1 else $2" | bc; }

# Instructions to drain N queued notifications under callgrind (startup and connection
# included, the same for both: a run with nothing to receive is not subtracted).
instructions() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$tmp/cg.err" &
    local receiver=$!
    wait_for_line "$tmp/cg.err" "listening"
    send
    wait "$receiver"
    sed -n 's/.*refs: *//p' "$tmp/cg.err" | tr -d ,
}

if [ "${CALLGRIND:-}" = 1 ]; then
    N=${N_CALLGRIND:-100000}
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    bare=$(instructions "$BARE" "$URL" bench "$N")
    ours=$(instructions "$BIN" -v listen -d "$URL" --json -c "$N" bench)
    printf 'callgrind, %d notifications drained: bare PgListener %d instructions (%.0f each), pgpubsub listen --json %d (%.0f each); ratio bare/pgpubsub %.2f\n' \
        "$N" "$bare" "$(echo "$bare / $N" | bc -l)" "$ours" "$(echo "$ours / $N" | bc -l)" \
        "$(echo "$bare / $ours" | bc -l)"
    exit 0
fi

for mode in live drain; do
    best_bare=999999
    best_ours=999999
    for round in $(seq 1 "$ROUNDS"); do
        read -r bare bare_lag < <(measure "$mode" "$BARE" "$URL" bench "$N")
        read -r ours ours_lag < <(measure "$mode" "$BIN" -v listen -d "$URL" --json -c "$N" bench)
        if [ "$mode" = live ]; then
            printf '%s round %d: bare PgListener %.3fs (done %.3fs after the sender), pgpubsub listen --json %.3fs (done %.3fs after the sender)\n' \
                "$mode" "$round" "$bare" "$bare_lag" "$ours" "$ours_lag"
        else
            printf '%s round %d: bare PgListener %.3fs, pgpubsub listen --json %.3fs\n' "$mode" "$round" "$bare" "$ours"
        fi
        best_bare=$(min "$bare" "$best_bare")
        best_ours=$(min "$ours" "$best_ours")
    done
    printf '%s: %d notifications; best bare %.3fs (%.0f/s), best pgpubsub %.3fs (%.0f/s); ratio %.3f (target <= 1.2)\n' \
        "$mode" "$N" "$best_bare" "$(echo "$N / $best_bare" | bc -l)" "$best_ours" \
        "$(echo "$N / $best_ours" | bc -l)" "$(echo "$best_ours / $best_bare" | bc -l)"
done

# Backpressure: a reader that never reads.
mkfifo "$tmp/blocked"
sleep 100000 <"$tmp/blocked" &
stop_at_exit $!
"$BIN" -v listen -d "$URL?application_name=blocked" --json bench >"$tmp/blocked" 2>"$tmp/blocked.err" &
listener=$!
stop_at_exit $listener
wait_for_line "$tmp/blocked.err" "listening on"
send
state() {
    psql -X -A -t -d "$URL" -c "SELECT wait_event FROM pg_stat_activity WHERE application_name = 'blocked'"
}
for _ in $(seq 1 600); do
    [ "$(state)" = ClientWrite ] && break
    sleep 0.1
done
sleep 1
queue=$(psql -X -A -t -d "$URL" -c "SELECT round((pg_notification_queue_usage() * 8192)::numeric, 1)")
hwm_kib=$(awk '/VmHWM/ {print $2}' "/proc/$listener/status")
printf 'backpressure: stdout blocked, %d notifications sent; listener backend waits on %s; server queue holds ~%s MiB; pgpubsub peak RSS %.1f MiB (target < 30)\n' \
    "$N" "$(state)" "$queue" "$(echo "$hwm_kib / 1024" | bc -l)"
