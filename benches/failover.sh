#!/usr/bin/env bash
# Failover figure (issue #11): how long after the standby is promoted does a running
# `pgpubsub listen -d 'host=A,B ... target_session_attrs=read-write' --reconnect-max 500ms`
# deliver again? Each round starts its own pair (a sandbox as primary, a streaming standby of it
# made with pg_basebackup -R), keeps a sender notifying through the same connection string,
# crashes the primary (SIGQUIT, as pg_ctl stop -m immediate), promotes the standby, and measures
# from the moment the promoted server accepts writes to the first notification the listener
# prints (its received_at). Goal: <= 1 s. Nothing here is a pass/fail test.
#
#   benches/failover.sh            (builds the release binary; or: benches/failover.sh path/to/pgpubsub)
#
# Needs psql, pg_basebackup and postgres (PostgreSQL's binaries) and what `pgpubsub sandbox`
# needs; under root the standby runs as the `postgres` OS user, like the sandbox.
set -eu

. "$(dirname "$0")/lib.sh"
BIN=${1:-$(release_bin pgpubsub)}
ROUNDS=${ROUNDS:-3}
BINDIR=${BINDIR:-$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | tail -n 1)}
[ -x "$BINDIR/postgres" ] || BINDIR=$(ls -d /usr/lib/postgresql/*/bin | tail -n 1)
[ -x "$BIN" ] || { echo "no pgpubsub binary ($BIN)" >&2; exit 2; }
unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD PGSERVICE DATABASE_URL

# "${as_owner[@]}" CMD...: run CMD as the server's owner (postgres under root, else ourselves). A
# prefix rather than a function, so that `"${as_owner[@]}" postgres ... &` is postgres itself
# (a function run in the background is a subshell, which ignores the SIGINT meant for it).
as_owner=()
[ "$(id -u)" != 0 ] || as_owner=(setpriv --reuid postgres --regid postgres --init-groups)
now() { date +%s.%N; }
work=$(mktemp -d)
chmod 755 "$work"
at_exit 'rm -rf "$work"'

# round N: one failover; sets figure to the delay in milliseconds.
round() {
    local dir="$work/$1" primary_dir port_a port_b standby listener sender postmaster t0
    mkdir -p "$dir"
    start_sandbox "$BIN"
    port_a=$(sed 's/.*:\([0-9]*\)\/.*/\1/' <<<"$DATABASE_URL")
    primary_dir=$SANDBOX_DIR
    # The standby: a base backup of the primary over its socket, started on a free port.
    install -d -o "$(stat -c %u "$primary_dir")" -m 700 "$dir/standby"
    "${as_owner[@]}" "$BINDIR/pg_basebackup" -D "$dir/standby/data" -R -X stream -U postgres \
        -h "$primary_dir" -p "$port_a"
    port_b=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "${as_owner[@]}" "$BINDIR/postgres" -D "$dir/standby/data" -k "$dir/standby" -p "$port_b" \
        -h 127.0.0.1 >"$dir/standby.log" 2>&1 &
    standby=$!
    stop_at_exit "$standby"
    local b="postgres://postgres@127.0.0.1:$port_b/postgres"
    until psql -X -q -d "$b" -c 'select 1' >/dev/null 2>&1; do sleep 0.05; done

    local target="host=127.0.0.1,127.0.0.1 port=$port_a,$port_b user=postgres dbname=postgres target_session_attrs=read-write"
    "$BIN" listen --json --events --reconnect-max 500ms -d "$target" failover >"$dir/out" 2>"$dir/err" &
    listener=$!
    stop_at_exit "$listener"
    until grep -q '"listening"' "$dir/out"; do sleep 0.05; done
    (
        trap - EXIT
        while :; do
            "$BIN" notify --connect-timeout 1s -d "$target" failover tick 2>/dev/null || true
            sleep 0.02
        done
    ) &
    sender=$!
    stop_at_exit "$sender"
    until grep -q '"payload"' "$dir/out"; do sleep 0.05; done

    postmaster=$(head -n 1 "$primary_dir/data/postmaster.pid")
    kill -QUIT "$postmaster"
    until grep -q '"disconnected"' "$dir/out"; do sleep 0.01; done
    psql -X -q -A -t -d "$b" -c 'select pg_promote(false)' >/dev/null
    # Accepting writes: out of recovery.
    until [ "$(psql -X -q -A -t -d "$b" -c 'select pg_is_in_recovery()' 2>/dev/null)" = f ]; do :; done
    t0=$(now)
    until sed -n '/"reconnected"/,$p' "$dir/out" | grep -q '"payload"'; do sleep 0.01; done
    local at
    at=$(sed -n '/"reconnected"/,$p' "$dir/out" | grep '"payload"' | head -n 1 |
        sed 's/.*"received_at":"\([^"]*\)".*/\1/')
    kill "$sender" "$listener" 2>/dev/null || true
    kill -INT "$standby" 2>/dev/null || true
    wait "$listener" "$standby" 2>/dev/null || true
    figure=$(awk -v a="$t0" -v b="$(date -d "$at" +%s.%N)" 'BEGIN { d = (b - a) * 1000; printf "%.0f", d < 0 ? 0 : d }')
}

echo "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds, PostgreSQL $("$BINDIR/postgres" --version | awk "{ print \$3 }")"
figures=()
for n in $(seq "$ROUNDS"); do
    round "$n"
    figures+=("$figure")
    echo "round $n: first notification ${figures[-1]} ms after the promoted server accepted writes"
done
printf '%s\n' "${figures[@]}" | sort -g | awk -v goal=1000 '{ a[NR] = $1 } END {
    m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "failover: promotion -> first notification delivered: median %d ms [%d-%d] (goal <= %d ms) %s\n",
        m, a[1], a[NR], goal, (m <= goal ? "ok" : "ABOVE GOAL") }'
