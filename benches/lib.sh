# Shared plumbing for the benchmark scripts (source it: `. "$(dirname "$0")/lib.sh"`).

# release_bin NAME: build the release binary NAME (pgpubsub, or an example) and print its path.
# Cargo is asked where it put it, so CARGO_TARGET_DIR, .cargo/config and the like are honoured
# instead of assuming ./target/release.
release_bin() {
    local kind=--example
    [ "$1" = pgpubsub ] && kind=--bin
    cargo build --release --quiet "$kind" "$1" --message-format=json |
        sed -n 's/.*"executable":"\([^"]*\/'"$1"'\)".*/\1/p' | tail -n 1
}

# at_exit COMMAND: run COMMAND (a string, eval'd) when the script exits, the latest first. A
# script registers its clean-up here instead of with `trap ... EXIT`, so that its clean-up and
# start_sandbox's add up rather than one trap replacing the other. A failing clean-up neither
# stops the others nor changes the script's exit status.
_at_exit=()
at_exit() {
    _at_exit=("$1" "${_at_exit[@]}")
    trap _run_at_exit EXIT
}

# stop_at_exit PID: stop the background job PID (SIGTERM, then reap it) when the script exits,
# before the at_exit clean-ups run.
_stop_at_exit=()
stop_at_exit() {
    _stop_at_exit+=("$1")
    trap _run_at_exit EXIT
}

_run_at_exit() {
    local command
    if [ ${#_stop_at_exit[@]} != 0 ]; then
        # All signalled before any is waited for: one may need another gone to stop (a listener
        # blocked writing to a reader that never reads). A job killed by its signal is no failure.
        kill "${_stop_at_exit[@]}" 2>/dev/null || true
        wait "${_stop_at_exit[@]}" 2>/dev/null || true
    fi
    for command in "${_at_exit[@]}"; do eval "$command" || true; done
}

# pgbench_bin: the pgbench to run: $PGBENCH if set, else PostgreSQL's newest (Debian's
# /usr/bin/pgbench is a wrapper that wants a local cluster; the real binary is off PATH), else
# the one on PATH.
pgbench_bin() {
    [ -z "${PGBENCH:-}" ] || { echo "$PGBENCH"; return; }
    ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -n 1 | grep . ||
        command -v pgbench
}

# start_sandbox BIN: start a throwaway server (`BIN sandbox`) for this run and wait until it
# serves, then export DATABASE_URL (its URL, with the other PG* variables unset so that nothing
# from the caller's environment reaches psql, pgbench or pgpubsub) and set SANDBOX_DIR (its
# directory: data, socket, log). When the script exits the sandbox gets SIGTERM, on which it
# removes its server and data. Call it from the script itself, not in $(...): the sandbox is a
# job of the calling shell.
start_sandbox() {
    local bin=$1 out pid
    out=$(mktemp -d)
    env -u DATABASE_URL "$bin" sandbox >"$out/url" 2>"$out/log" &
    pid=$!
    at_exit "rm -rf '$out'"
    stop_at_exit "$pid"
    until grep -q '^export DATABASE_URL=' "$out/url"; do
        kill -0 "$pid" 2>/dev/null || { cat "$out/log" >&2; exit 1; }
        sleep 0.1
    done
    export DATABASE_URL
    DATABASE_URL=$(sed -n 's/^export DATABASE_URL=//p' "$out/url")
    SANDBOX_DIR=$(sed -n 's/.*log in \(.*\))$/\1/p' "$out/log")
    unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE PGOPTIONS \
        PGSSLMODE PGTARGETSESSIONATTRS PGAPPNAME
}

# wait_for_line FILE PATTERN: wait until FILE has a line matching PATTERN (60 s at most; then
# say what FILE holds and exit 1).
wait_for_line() {
    local file=$1 pattern=$2
    for _ in $(seq 1 1200); do
        grep -q -- "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.05
    done
    echo "timed out waiting for '$pattern' in $file:" >&2
    cat "$file" >&2
    exit 1
}
