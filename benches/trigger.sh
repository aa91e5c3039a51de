#!/usr/bin/env bash
# What `pgpubsub trigger add` costs an application's INSERTs, on one throwaway server, in one run.
# Three identical small tables: one without a trigger, one with the generated trigger, one with
# the hand-written json_build_object trigger the demo used to create (the seed's:
# {"table","operation","id"}, no size check). pgbench inserts one row per transaction into each,
# with 1 and 4 clients, then 1000 rows per statement with 1 client (where the commit, the same
# for all three, weighs least and the trigger's own work shows most). Each round runs the three back to back (in a rotating order) and takes
# their ratios; the median of ROUNDS rounds is judged and printed with its range, because runs of
# a few seconds swing on a shared machine. Nobody listens: the notifications still go through
# the server's queue at commit, which is the part the writer pays for.
#
# Goal (issue 14): generated/hand-written cost <= 1.10, cost being the time per INSERT
# (hand-written tps / generated tps).
#
#   benches/trigger.sh                 (ROUNDS=9 SECONDS_EACH=3 by default; needs pgbench, psql, jq)
#   RUNS="1:1" benches/trigger.sh      (only 1 client, 1 row per statement)
#   benches/trigger.sh path/to/pgpubsub
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-9}
SECONDS_EACH=${SECONDS_EACH:-3}
RUNS=${RUNS:-"1:1 4:1 1:1000"}    # CLIENTS:ROWS per statement
. benches/lib.sh
PGBENCH=$(pgbench_bin)
PSQL=${PSQL:-psql}
[ -x "$PGBENCH" ] || { echo "pgbench not found; set PGBENCH" >&2; exit 2; }

BIN=${1:-$(release_bin pgpubsub)}
[ -x "$BIN" ] || { echo "no pgpubsub binary ($BIN)" >&2; exit 2; }

work=$(mktemp -d)
at_exit 'rm -rf "$work"'
start_sandbox "$BIN"
sql() { "$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"; }

tables="none generated handwritten"
for t in $tables; do
    sql -c "CREATE TABLE $t (id bigserial PRIMARY KEY, name text NOT NULL, qty int NOT NULL)"
    echo "INSERT INTO $t (name, qty) SELECT 'widget', 3 FROM generate_series(1, :rows);" >"$work/$t.sql"
done
"$BIN" trigger add generated 2>/dev/null
sql <<'EOF'
CREATE FUNCTION handwritten_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE row_id bigint;
BEGIN
  IF TG_OP = 'DELETE' THEN row_id := OLD.id; ELSE row_id := NEW.id; END IF;
  PERFORM pg_notify('handwritten', json_build_object(
    'table', TG_TABLE_NAME, 'operation', TG_OP, 'id', row_id)::text);
  RETURN NULL;
END $$;
CREATE TRIGGER handwritten AFTER INSERT OR UPDATE OR DELETE ON handwritten
  FOR EACH ROW EXECUTE FUNCTION handwritten_notify();
EOF

# rate TABLE CLIENTS ROWS: rows inserted per second into TABLE, ROWS per statement (the table is
# emptied first, so it stays small).
rate() {
    sql -c "TRUNCATE $1" >/dev/null
    "$PGBENCH" -n -c "$2" -j "$2" -T "$SECONDS_EACH" -D rows="$3" -f "$work/$1.sql" "$DATABASE_URL" 2>&1 |
        awk -v rows="$3" '/^tps/ { printf "%.0f", $3 * rows }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# summary FILE COLUMN: "median [min-max]" of a column of ratios.
summary() {
    local values
    values=$(cut -d' ' -f"$2" "$1" | sort -g)
    printf "%.3f [%.3f-%.3f]" "$(median <<<"$values")" "$(head -n 1 <<<"$values")" "$(tail -n 1 <<<"$values")"
}

echo "server: $(sql -A -t -c 'SHOW server_version'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
    "fsync off (throwaway server); ${SECONDS_EACH}s per run, median of $ROUNDS rounds [range]"
sample=$(sql -A -t -c "INSERT INTO generated (name, qty) VALUES ('widget', 3) RETURNING row_to_json(generated)")
echo "generated payload for a row like $sample is $(sql -A -t -c "SELECT octet_length(json_build_object(
    'schema', 'public', 'table', 'generated', 'op', 'INSERT', 'new', '$sample'::json)::text)") bytes"
status=0
for run in $RUNS; do
    clients=${run%:*} rows=${run#*:}
    : >"$work/rounds"
    for round in $(seq "$ROUNDS"); do
        # Rotate which table goes first, so warming up and drift spread over all three.
        order=$(echo $tables | tr ' ' '\n' | awk -v r="$round" '{ a[NR] = $0 } END { for (i = 0; i < NR; i++) print a[(i + r) % NR + 1] }')
        declare -A rate=()
        for t in $order; do rate[$t]=$(rate "$t" "$clients" "$rows"); done
        echo "${rate[none]} ${rate[generated]} ${rate[handwritten]}" |
            awk '{ printf "%s %s %s %.4f %.4f %.4f\n", $1, $2, $3, $3 / $2, $1 / $2, $1 / $3 }' >>"$work/rounds"
    done
    cost=$(cut -d' ' -f4 "$work/rounds" | median)
    verdict=$(awk -v c="$cost" 'BEGIN { print (c <= 1.10 ? "ok" : "ABOVE GOAL") }')
    [ "$verdict" = ok ] || status=1
    printf "%d client(s), %d row(s) per statement: rows/s  no trigger %.0f  generated %.0f  hand-written %.0f\n" \
        "$clients" "$rows" \
        "$(cut -d' ' -f1 "$work/rounds" | median)" "$(cut -d' ' -f2 "$work/rounds" | median)" \
        "$(cut -d' ' -f3 "$work/rounds" | median)"
    echo "  generated/hand-written cost   $(summary "$work/rounds" 4)  (goal <= 1.10) $verdict"
    echo "  generated vs no trigger       $(summary "$work/rounds" 5)  (time per row, x)"
    echo "  hand-written vs no trigger    $(summary "$work/rounds" 6)"
done
exit $status
