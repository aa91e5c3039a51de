# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pgpubsub_global_optspecs
    string join \n color= v/verbose q/quiet help V/version
end

function __fish_pgpubsub_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pgpubsub_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pgpubsub_using_subcommand
    set -l cmd (__fish_pgpubsub_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "listen" -d 'Stream notifications from one or more channels to stdout'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "notify" -d 'Send notifications: one from the command line, or one per line of stdin'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "bench" -d 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "demo" -d 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "conninfo" -d 'Connect and show the session the server sees: database, user, address, version, TLS'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "sandbox" -d 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "request" -d 'Send a request on a channel and print the reply (or replies) to stdout'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "reply" -d 'Answer requests on a channel with a shell command or a SQL query'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "trigger" -d 'Turn a table\'s row changes into notifications: add, list or remove pgpubsub\'s trigger'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "journal" -d 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "status" -d 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "serve" -d 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "generate" -d 'Write shell completions or man pages (for packagers; the repository ships both)'
complete -c pgpubsub -n "__fish_pgpubsub_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l format -d 'Print each notification as TEMPLATE ({channel} {payload} {pid} {time}; see below)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l exec -d 'Run CMD (with sh -c) for each notification instead of printing it: payload on stdin, PGPUBSUB_CHANNEL and PGPUBSUB_PID in the environment; one at a time, in arrival order' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l consumer -d 'With --durable: resume from the position stored for NAME, and store progress once records are written out (with --exec: once the command succeeded). At-least-once' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l since -d 'With --durable: start after POSITION, with the records of the last DURATION (e.g. 1h), or at the beginning of the journal; for a --consumer, move its position there. Without it (and without a stored position) listening starts now' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l journal-schema -d 'With --durable: the schema of the journal (default pgpubsub)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s c -l count -d 'Exit 0 after N notifications' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l timeout -d 'Stop after DURATION (e.g. 30s, 5m), connecting included; exit 3 if --count was not reached by then (0: no limit)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l idle-timeout -d 'Stop after DURATION without a notification; exit 3 if --count was not reached by then (0: no limit)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l reconnect-max -d 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l keepalive -d 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l on-gap -d 'After every reconnect, before any new notification is handled, run CMD (with sh -c) to resync: PGPUBSUB_DOWN_MS and PGPUBSUB_REASON in its environment, its stdout is listen\'s. A failure is reported and listening goes on' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l ready-file -d 'Create PATH (holding the pid) once every channel is listened to, for scripts that must not notify before; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l json -d 'Print one JSON object per line: channel, payload, pid, received_at'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l payload-json -d 'With --json: embed a payload that is valid JSON as a JSON value, not a string'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l raw -d 'Print the payload only'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s 0 -l null -d 'End records with NUL instead of newline (for `xargs -0`, `read -d \'\'`)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l events -d 'With --json: also write connection events (listening, disconnected, reconnected)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l durable -d 'Read the channels\' journal (see `pgpubsub journal`): after a reconnect, replay what was missed instead of losing it; records carry their position'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l no-reconnect -d 'Exit 1 when the connection is lost instead of reconnecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l on-gap-required -d 'With --on-gap: a failing CMD stops the listener (exit 1)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand listen" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l also -d 'Also send every payload to this channel, in the same transaction (repeatable)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l file -d 'Send the whole content of this file as one payload (`-`: all of stdin)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l journal-schema -d 'With --durable: the schema of the journal (default pgpubsub)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l stdin -d 'Read one payload per line from stdin (the same as PAYLOAD `-`)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l from-json -d 'Read NDJSON from stdin, one {"channel": ..., "payload": ...} object per line, as `listen --json` writes it; objects with an "event" key are skipped'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l json -d 'Require every payload to be valid JSON'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s 0 -l null -d 'Stdin records end with a NUL byte instead of a newline'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l skip-empty -d 'Do not send empty input lines'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l strict -d 'Stop at the first invalid input line (exit 2) instead of skipping it'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l atomic -d 'Send all of stdin in one transaction, all or nothing (identical pairs then fold into one)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l durable -d 'Append every payload to the journal (see `pgpubsub journal`) in the same transaction as its notification, so that listen --durable can replay it; no 8000-byte payload limit'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand notify" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l senders -d 'Connections sending notifications' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l listeners -d 'Connections listening, each to every channel' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l channels -d 'Channels; each sender spreads its notifications over them in turn' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l payload-size -d 'Payload size in bytes, 46 to 7999: sender, session, sequence number and send time, padded' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l batch -d 'Notifications per transaction (distinct payloads, so none is folded)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l messages -d 'Notifications to send in total, over all senders (default 100000 unless --duration)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l duration -d 'Send for this long instead of a number of notifications, e.g. 10s, 1m' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l rate -d 'Open loop: send at this total rate, e.g. 1000/s or 600/min, and measure latency from the scheduled send time so stalls are not hidden (default: as fast as possible)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l warmup -d 'Send (and check) for this long before measuring, e.g. 2s' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l drain-timeout -d 'After sending, wait at most this long for listeners to receive everything (0: no limit)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l idle-listeners -d 'Scenario: also hold N sessions listening on channels no one notifies (on PostgreSQL 18 and older each one is woken for every notifying commit)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l writers -d 'Scenario: N sessions insert one row per transaction as fast as they can, one phase without and one with NOTIFY (each --duration long, default 5s); compares commits/s and commit latency. Instead of the senders' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l notify-every -d 'With --writers: a NOTIFY in every K-th transaction of the second phase (default 1)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l sweep -d 'Run one open-loop step per rate, doubling from FROM to TO, e.g. 1k..128k (each step --duration long, default 2s); one row per step' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l p99-target -d 'With --sweep: report the highest rate whose p99 latency stayed within this, e.g. 10ms' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l bin-dir -d 'With --ephemeral: run the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l stalled-listener -d 'Scenario: one more listener whose session sits in an open transaction, so the notification queue grows; reports the growth and when the queue would be full, then releases it'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l json -d 'Print one JSON object (fields below) instead of the table'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l csv -d 'Print CSV with a header: one row per percentile (latency, sender lag and the writers\' commit latency, in microseconds), or per step of a --sweep'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l ephemeral -d 'Run against a throwaway server started (and removed) for this run'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand bench" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l interval -d 'How often the demo\'s producer sends a batch (one notification per channel), e.g. 2s, 300ms' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l listen-for -d 'How long the stream step listens before its timer wins, e.g. 5s, 1s' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l bin-dir -d 'The throwaway server runs the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand demo" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand conninfo" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l port -d 'TCP port on 127.0.0.1 to listen on (default: a free one)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l ssl-cert -d 'Serve TLS with this PEM certificate (chain); needs --ssl-key' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l ssl-key -d 'Private key (PEM) for --ssl-cert' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l bin-dir -d 'Run the PostgreSQL server binaries (initdb, postgres) in DIR, e.g. another release\'s (default: PGPUBSUB_BIN_DIR, else PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l set -d 'Start the server with this setting (postgres -c NAME=VALUE), e.g. max_notify_queue_pages=2048 (PostgreSQL 17+) or synchronous_standby_names=nobody; repeatable' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l idle-stop -d 'Stop the server by itself after DURATION with no client connected, e.g. 10m, 1s' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l stop -d 'Stop a detached sandbox, given the URL or directory it printed (default: DATABASE_URL), and remove its files' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l detach -d 'Print the export line once the server accepts connections and return, leaving the server running in the background (stop it with --stop)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l supervise -d 'Internal: run as the supervisor of a detached sandbox'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand sandbox" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l file -d 'Send the whole content of this file as the body' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l timeout -d 'How long to wait for the replies to a request; exit 3 when they do not all arrive (0: no limit)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l replies -d 'Gather N replies (from N responders) per request' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l grace -d 'Without --key-file: once the replies asked for are in, wait this long for replies from anyone else; different ones are reported (exit 1) instead of printed. 0: no wait' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l key-file -d 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand request" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l exec -d 'Answer with `sh -c CMD`: request body on stdin, its stdout is the reply' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l sql -d 'Answer with QUERY, run with the request envelope as $1 (it replies itself via pg_notify)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l concurrency -d 'Requests handled at once; further requests wait for a free slot' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l key-file -d 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l ready-file -d 'Create PATH (holding the pid) once requests are listened for; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l reconnect-max -d 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l keepalive -d 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand reply" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Install (or replace) the notify trigger on a table, in one transaction'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'Show the triggers pgpubsub installed: table, channel, events, columns'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Drop pgpubsub\'s trigger(s) from a table, and nothing else'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l channel -d 'Channel to notify (default: the table\'s name; case is kept exactly)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l events -d 'Row changes that notify, comma-separated' -r -f -a "insert\t'A row inserted (new)'
update\t'A row updated (new and old)'
delete\t'A row deleted (old)'
truncate\t'The table truncated (one event per statement)'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l columns -d 'Send only these columns of new/old, comma-separated, in SQL syntax (\'id,"Total"\')' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l journal-schema -d 'With --durable: the schema of the journal (default pgpubsub)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l allow-no-key -d 'Accept a table without a primary key (an over-long row then arrives without any key)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l durable -d 'Append each row change to the journal (see `pgpubsub journal`), whole whatever its length, and notify with its position: listen --durable replays what it missed'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l dry-run -d 'Print the SQL transaction that would run, and change nothing'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from add" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -l json -d 'One JSON object per line: schema, table, channel, events, columns, key, triggers, function'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -l channel -d 'Only the trigger for this channel (default: every pgpubsub trigger on the table)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -l dry-run -d 'Print the SQL transaction that would run, and change nothing'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from remove" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from help" -f -a "add" -d 'Install (or replace) the notify trigger on a table, in one transaction'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from help" -f -a "list" -d 'Show the triggers pgpubsub installed: table, channel, events, columns'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Drop pgpubsub\'s trigger(s) from a table, and nothing else'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand trigger; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "init" -d 'Create the journal (idempotent): its tables and publish(channel, payload)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "drop" -d 'Remove the journal with its records and consumer positions: exactly what init created'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "prune" -d 'Delete records older than a duration that no registered consumer still needs'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "status" -d 'Records, size and oldest record, and each consumer\'s position and lag'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "forget" -d 'Remove consumers\' stored positions (prune then no longer keeps records for them)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and not __fish_seen_subcommand_from init drop prune status forget help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -l schema -d 'The journal\'s schema' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -l dry-run -d 'Print the SQL transaction that would run, and change nothing'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from init" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -l schema -d 'The journal\'s schema' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -l dry-run -d 'Print the SQL transaction that would run, and change nothing'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from drop" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l older-than -d 'Delete records published longer ago than DURATION (e.g. 7d, 12h)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l schema -d 'The journal\'s schema' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l force -d 'Delete them even when a registered consumer has not read them yet (it then misses them)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l dry-run -d 'Say how many records would be deleted, and delete nothing'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -l schema -d 'The journal\'s schema' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -l json -d 'One JSON object: schema, records, bytes, first_position, last_position, oldest_published_at, oldest_age_s, consumers[]{name, channels, position, lag_records, lag_s, stored_at, stored_age_s}'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -l schema -d 'The journal\'s schema' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from forget" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "init" -d 'Create the journal (idempotent): its tables and publish(channel, payload)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "drop" -d 'Remove the journal with its records and consumer positions: exactly what init created'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "prune" -d 'Delete records older than a duration that no registered consumer still needs'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "status" -d 'Records, size and oldest record, and each consumer\'s position and lag'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "forget" -d 'Remove consumers\' stored positions (prune then no longer keeps records for them)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand journal; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l watch -d 'Refresh every DURATION (e.g. 2s, 500ms) until stopped: in place on a terminal, one line per refresh when piped' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l warn -d 'Queue usage above which the server is degraded, e.g. 50%, 80' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l idle-threshold -d 'A session idle in a transaction longer than this is a suspect (while the queue is not empty)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l journal-age -d 'A journal (durable channels) whose oldest record is older than this is degraded: nothing prunes it, so it grows without bound; 0 turns the check off' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l consumer-lag -d 'A durable consumer whose oldest unread record is older than this is degraded (fallen behind); 0 turns the check off' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l json -d 'Print one JSON object per refresh (fields below)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l show-queries -d 'Show other sessions\' last query, truncated, with every constant replaced by $1, $2... and every comment by /*…*/ (so no literal value, such as a password, is printed)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand status" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l channel -d 'Serve channels matching PATTERN (* any run, ? one character); repeat for more. Required: nothing is served by default' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l bind -d 'Listen on ADDRESS (HOST:PORT; port 0 picks a free one); repeat for more' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l tokens -d 'Bearer tokens: one `TOKEN read=PATTERNS [publish=PATTERNS]` per line' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l jwt-secret -d 'Accept JWTs signed with HS256 by the secret in FILE (at least 32 bytes)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l jwt-public-key -d 'Accept JWTs signed with RS256 by the key whose public half is in FILE (PEM)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l jwt-audience -d 'Accept only JWTs whose aud claim names AUDIENCE' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l jwt-leeway -d 'Clock skew allowed on a JWT\'s exp and nbf (whole seconds)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l allow-origin -d 'Let pages from ORIGIN (e.g. https://app.example) read and publish (CORS); `*` for any; repeat for more' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l tls-cert -d 'Serve HTTPS with this certificate chain (PEM); needs --tls-key' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l tls-key -d 'The private key of --tls-cert (PEM)' -r -F
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l max-subscribers -d 'Most event streams open at once; more are refused with 503' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l buffer -d 'Notifications queued per subscriber; one that falls this far behind is cut off (it gets an overflow event saying how many it lost)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l heartbeat -d 'Send a comment line on idle streams this often, so proxies keep them open' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l durable -d 'Read CHANNEL through the journal (see `pgpubsub journal`): records carry their position, and a client reconnecting with Last-Event-ID is replayed what it missed; repeat for more' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l journal-schema -d 'With --durable: the schema of the journal (default pgpubsub)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l reconnect-max -d 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l keepalive -d 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s d -l dbname -d 'Database name, or a full postgres:// URL, or a key=value conninfo string' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s h -l host -d 'Server host name or IP address, or a Unix-socket directory (starts with /)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s p -l port -d 'Server port, or one port per host of -h (5432,5433), as in psql' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s U -l username -d 'User name to connect as' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l connect-timeout -d 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)' -r
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l allow-publish -d 'Accept POST /notify/CHANNEL (for channels a credential may publish to)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l payload-json -d 'Embed a payload that is valid JSON as a JSON value in the records (as listen --payload-json)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s W -l password -d 'Prompt for the password (without echo) before connecting'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand serve" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand generate" -l color -d 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never' -r -f -a "auto\t'Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always color'
never\t'Never color'"
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand generate" -s v -l verbose -d 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand generate" -s q -l quiet -d 'Print no notes, status lines or warnings on stderr, only the error that ends a command'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand generate" -l help -d 'Print help (`-h` is --host, as in psql)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand generate" -s V -l version -d 'Print version'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "listen" -d 'Stream notifications from one or more channels to stdout'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "notify" -d 'Send notifications: one from the command line, or one per line of stdin'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "bench" -d 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "demo" -d 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "conninfo" -d 'Connect and show the session the server sees: database, user, address, version, TLS'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "sandbox" -d 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "request" -d 'Send a request on a channel and print the reply (or replies) to stdout'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "reply" -d 'Answer requests on a channel with a shell command or a SQL query'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "trigger" -d 'Turn a table\'s row changes into notifications: add, list or remove pgpubsub\'s trigger'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "journal" -d 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "status" -d 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "serve" -d 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "generate" -d 'Write shell completions or man pages (for packagers; the repository ships both)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and not __fish_seen_subcommand_from listen notify bench demo conninfo sandbox request reply trigger journal status serve generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from trigger" -f -a "add" -d 'Install (or replace) the notify trigger on a table, in one transaction'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from trigger" -f -a "list" -d 'Show the triggers pgpubsub installed: table, channel, events, columns'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from trigger" -f -a "remove" -d 'Drop pgpubsub\'s trigger(s) from a table, and nothing else'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "init" -d 'Create the journal (idempotent): its tables and publish(channel, payload)'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "drop" -d 'Remove the journal with its records and consumer positions: exactly what init created'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "prune" -d 'Delete records older than a duration that no registered consumer still needs'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "status" -d 'Records, size and oldest record, and each consumer\'s position and lag'
complete -c pgpubsub -n "__fish_pgpubsub_using_subcommand help; and __fish_seen_subcommand_from journal" -f -a "forget" -d 'Remove consumers\' stored positions (prune then no longer keeps records for them)'
