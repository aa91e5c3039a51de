#!/usr/bin/env bash
# Benchmark durable channels on a throwaway server (started with `pgpubsub sandbox`), each
# figure against a baseline measured in the same run, rounds alternating:
#
# 1. publish: `seq 1 N | pgpubsub notify --durable c -` against the same input through plain
#    `pgpubsub notify c -` (goal: durable >= 0.5x the plain rate);
# 2. an application's one-row transaction (INSERT a row, then notify) with
#    `SELECT pgpubsub.publish(...)` against the same transaction with `pg_notify(...)`, by
#    pgbench (the ratio of their rates is reported);
# 3. catch-up: a consumer N records behind reads them into a pipe
#    (`pgpubsub listen --durable --consumer ... | cat`), against
#    `psql -c "\copy (SELECT position, channel, payload FROM pgpubsub.records ... ORDER BY
#    batch) TO STDOUT" | cat` over the same rows (the view's records in position order: by
#    batch, each batch's records in their order; ORDER BY position would add a sort of all N)
#    (goals: >= 500 000 records/s and >= 0.5x psql's rate);
# 4. live latency at RATE/s: pgbench sends with the server's clock in the payload, through
#    pg_notify to `pgpubsub listen --json` and through publish() to `pgpubsub listen --durable
#    --json`; latency = the listener's received_at - that clock (goal: durable p50 <= plain
#    p50 + 100 us).
#
# Usage: benches/durable.sh     (N=1000000 ROUNDS=3 DURATION=5 RATE=1000 by default; needs
#                               pgbench, psql and python3)
set -euo pipefail

N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
SECONDS_EACH=${DURATION:-5}
RATE=${RATE:-1000}
cd "$(dirname "$0")/.."

. benches/lib.sh
BIN=$(release_bin pgpubsub)
PGBENCH=$(pgbench_bin)

tmp=$(mktemp -d)
at_exit 'rm -rf "$tmp"'

start_sandbox "$BIN"
URL=$DATABASE_URL
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$URL" -c "$1"; }
"$BIN" journal init 2>/dev/null
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc -l; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.6f\n", v[int((NR + 1) / 2)] }'; }
range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.2f-%.2f", lo, hi }'; }

echo "durable channels, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); N=$N ROUNDS=$ROUNDS"

# 1. Publishing N stdin lines.
seq 1 "$N" >"$tmp/lines"
: >"$tmp/publish"
for round in $(seq 1 "$ROUNDS"); do
    sql "TRUNCATE pgpubsub.journal"
    start=$(now)
    "$BIN" notify plain - <"$tmp/lines"
    plain=$(elapsed "$start")
    start=$(now)
    "$BIN" notify --durable durable - <"$tmp/lines"
    durable=$(elapsed "$start")
    printf 'publish round %d: notify %.3fs (%.0f/s), notify --durable %.3fs (%.0f/s), ratio %.2f\n' \
        "$round" "$plain" "$(echo "$N / $plain" | bc -l)" "$durable" \
        "$(echo "$N / $durable" | bc -l)" "$(echo "$plain / $durable" | bc -l)"
    echo "$plain $durable" >>"$tmp/publish"
done

# 2. An application's one-row transaction.
sql "CREATE TABLE app_orders (id bigserial PRIMARY KEY, body text NOT NULL)"
for kind in notify publish; do
    call="pg_notify('orders', 'order')"
    [ "$kind" = publish ] && call="pgpubsub.publish('orders', 'order')"
    printf 'BEGIN;\nINSERT INTO app_orders (body) VALUES (%s);\nSELECT %s;\nCOMMIT;\n' \
        "'order'" "$call" >"$tmp/$kind.sql"
done
: >"$tmp/app"
tps() {
    local rate
    rate=$("$PGBENCH" -n -c 2 -j 2 -T "$SECONDS_EACH" -f "$tmp/$1.sql" "$URL" 2>"$tmp/pgbench.err" |
        sed -n 's/^tps = \([0-9.]*\).*/\1/p')
    [ -n "$rate" ] || { echo "pgbench failed:" >&2; cat "$tmp/pgbench.err" >&2; exit 1; }
    echo "$rate"
}
for round in $(seq 1 "$ROUNDS"); do
    notify=$(tps notify)
    publish=$(tps publish)
    printf 'transaction round %d: INSERT + pg_notify %.0f tps, INSERT + publish() %.0f tps, ratio %.2f\n' \
        "$round" "$notify" "$publish" "$(echo "$publish / $notify" | bc -l)"
    echo "$notify $publish" >>"$tmp/app"
done

# 3. Catch-up of a consumer N records behind.
sql "TRUNCATE pgpubsub.journal"
"$BIN" notify --durable catchup - <"$tmp/lines"
sql "INSERT INTO pgpubsub.consumers (name, channels, position) VALUES ('behind', '{catchup}', 0)"
: >"$tmp/catchup"
for round in $(seq 1 "$ROUNDS"); do
    start=$(now)
    psql -X -q -d "$URL" -c "\copy (SELECT position, channel, payload FROM pgpubsub.records WHERE channel = 'catchup' ORDER BY batch) TO STDOUT" | cat >/dev/null
    copy=$(elapsed "$start")
    sql "UPDATE pgpubsub.consumers SET position = 0 WHERE name = 'behind'"
    start=$(now)
    "$BIN" listen --durable --consumer behind -c "$N" catchup 2>/dev/null | cat >/dev/null
    ours=$(elapsed "$start")
    printf 'catch-up round %d: psql \\copy %.3fs (%.0f/s), listen --durable %.3fs (%.0f/s), ratio %.2f\n' \
        "$round" "$copy" "$(echo "$N / $copy" | bc -l)" "$ours" "$(echo "$N / $ours" | bc -l)" \
        "$(echo "$copy / $ours" | bc -l)"
    echo "$copy $ours" >>"$tmp/catchup"
done

# 4. Live latency at RATE/s.
latency() { # kind channel listen-args...
    local kind=$1 channel=$2
    shift 2
    "$BIN" listen --json "$@" "$channel" >"$tmp/$kind.out" 2>"$tmp/$kind.err" &
    local listener=$!
    for _ in $(seq 1 600); do
        sql "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'LISTEN%$channel%'" | grep -q 1 && break
        sleep 0.05
    done
    local call="pg_notify('$channel', us::text)"
    [ "$kind" = durable ] && call="pgpubsub.publish('$channel', us::text)"
    echo "SELECT $call FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1e6)::bigint AS us) AS t;" \
        >"$tmp/$kind.lat.sql"
    "$PGBENCH" -n -c 1 -j 1 -R "$RATE" -T "$SECONDS_EACH" -f "$tmp/$kind.lat.sql" "$URL" >/dev/null 2>&1
    sleep 0.5
    kill "$listener"
    wait "$listener" 2>/dev/null || true
    python3 - "$tmp/$kind.out" <<'PY'
import json, sys, datetime
lat = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if "event" in r:
        continue
    at = datetime.datetime.strptime(r["received_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    at = at.replace(tzinfo=datetime.timezone.utc).timestamp() * 1e6
    lat.append(at - int(r["payload"]))
lat.sort()
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{len(lat)} {pick(0.5):.0f} {pick(0.99):.0f}")
PY
}
: >"$tmp/latency"
for round in $(seq 1 "$ROUNDS"); do
    read -r n_plain p50_plain p99_plain < <(latency plain lat_plain)
    read -r n_durable p50_durable p99_durable < <(latency durable lat_durable --durable)
    printf 'latency round %d at %d/s: listen p50 %d us p99 %d us (%d received), listen --durable p50 %d us p99 %d us (%d received)\n' \
        "$round" "$RATE" "$p50_plain" "$p99_plain" "$n_plain" "$p50_durable" "$p99_durable" "$n_durable"
    echo "$p50_plain $p50_durable" >>"$tmp/latency"
done

echo
ratio=$(awk '{ print $1 / $2 }' "$tmp/publish" | median)
rate=$(awk -v n="$N" '{ print n / $2 }' "$tmp/publish" | median)
ok=$(echo "$ratio >= 0.5" | bc)
printf 'publish:     notify --durable %.0f/s, %.2fx plain notify [%s] (goal >= 0.50) %s\n' \
    "$rate" "$ratio" "$(awk '{ print $1 / $2 }' "$tmp/publish" | range)" "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
ratio=$(awk '{ print $2 / $1 }' "$tmp/app" | median)
printf 'transaction: INSERT + publish() at %.2fx the rate of INSERT + pg_notify [%s]\n' \
    "$ratio" "$(awk '{ print $2 / $1 }' "$tmp/app" | range)"
ratio=$(awk '{ print $1 / $2 }' "$tmp/catchup" | median)
rate=$(awk -v n="$N" '{ print n / $2 }' "$tmp/catchup" | median)
ok=$(echo "$ratio >= 0.5 && $rate >= 500000" | bc)
printf 'catch-up:    %.0f records/s, %.2fx psql \\copy [%s] (goals >= 500000/s and >= 0.50) %s\n' \
    "$rate" "$ratio" "$(awk '{ print $1 / $2 }' "$tmp/catchup" | range)" "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
diff=$(awk '{ print $2 - $1 }' "$tmp/latency" | median)
ok=$(echo "$diff <= 100" | bc)
printf 'latency:     durable p50 - plain p50 = %.0f us at %d/s [%s] (goal <= 100) %s\n' \
    "$diff" "$RATE" "$(awk '{ print $2 - $1 }' "$tmp/latency" | range)" "$([ "$ok" = 1 ] && echo ok || echo MISSED)"
