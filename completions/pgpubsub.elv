
use builtin;
use str;

set edit:completion:arg-completer[pgpubsub] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pgpubsub'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pgpubsub'= {
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
            cand listen 'Stream notifications from one or more channels to stdout'
            cand notify 'Send notifications: one from the command line, or one per line of stdin'
            cand bench 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server'
            cand demo 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)'
            cand conninfo 'Connect and show the session the server sees: database, user, address, version, TLS'
            cand sandbox 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL'
            cand request 'Send a request on a channel and print the reply (or replies) to stdout'
            cand reply 'Answer requests on a channel with a shell command or a SQL query'
            cand trigger 'Turn a table''s row changes into notifications: add, list or remove pgpubsub''s trigger'
            cand journal 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads'
            cand status 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded'
            cand serve 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer'
            cand generate 'Write shell completions or man pages (for packagers; the repository ships both)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;listen'= {
            cand --format 'Print each notification as TEMPLATE ({channel} {payload} {pid} {time}; see below)'
            cand --exec 'Run CMD (with sh -c) for each notification instead of printing it: payload on stdin, PGPUBSUB_CHANNEL and PGPUBSUB_PID in the environment; one at a time, in arrival order'
            cand --consumer 'With --durable: resume from the position stored for NAME, and store progress once records are written out (with --exec: once the command succeeded). At-least-once'
            cand --since 'With --durable: start after POSITION, with the records of the last DURATION (e.g. 1h), or at the beginning of the journal; for a --consumer, move its position there. Without it (and without a stored position) listening starts now'
            cand --journal-schema 'With --durable: the schema of the journal (default pgpubsub)'
            cand -c 'Exit 0 after N notifications'
            cand --count 'Exit 0 after N notifications'
            cand --timeout 'Stop after DURATION (e.g. 30s, 5m), connecting included; exit 3 if --count was not reached by then (0: no limit)'
            cand --idle-timeout 'Stop after DURATION without a notification; exit 3 if --count was not reached by then (0: no limit)'
            cand --reconnect-max 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)'
            cand --keepalive 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off'
            cand --on-gap 'After every reconnect, before any new notification is handled, run CMD (with sh -c) to resync: PGPUBSUB_DOWN_MS and PGPUBSUB_REASON in its environment, its stdout is listen''s. A failure is reported and listening goes on'
            cand --ready-file 'Create PATH (holding the pid) once every channel is listened to, for scripts that must not notify before; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --json 'Print one JSON object per line: channel, payload, pid, received_at'
            cand --payload-json 'With --json: embed a payload that is valid JSON as a JSON value, not a string'
            cand --raw 'Print the payload only'
            cand -0 'End records with NUL instead of newline (for `xargs -0`, `read -d ''''`)'
            cand --null 'End records with NUL instead of newline (for `xargs -0`, `read -d ''''`)'
            cand --events 'With --json: also write connection events (listening, disconnected, reconnected)'
            cand --durable 'Read the channels'' journal (see `pgpubsub journal`): after a reconnect, replay what was missed instead of losing it; records carry their position'
            cand --no-reconnect 'Exit 1 when the connection is lost instead of reconnecting'
            cand --on-gap-required 'With --on-gap: a failing CMD stops the listener (exit 1)'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;notify'= {
            cand --also 'Also send every payload to this channel, in the same transaction (repeatable)'
            cand --file 'Send the whole content of this file as one payload (`-`: all of stdin)'
            cand --journal-schema 'With --durable: the schema of the journal (default pgpubsub)'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --stdin 'Read one payload per line from stdin (the same as PAYLOAD `-`)'
            cand --from-json 'Read NDJSON from stdin, one {"channel": ..., "payload": ...} object per line, as `listen --json` writes it; objects with an "event" key are skipped'
            cand --json 'Require every payload to be valid JSON'
            cand -0 'Stdin records end with a NUL byte instead of a newline'
            cand --null 'Stdin records end with a NUL byte instead of a newline'
            cand --skip-empty 'Do not send empty input lines'
            cand --strict 'Stop at the first invalid input line (exit 2) instead of skipping it'
            cand --atomic 'Send all of stdin in one transaction, all or nothing (identical pairs then fold into one)'
            cand --durable 'Append every payload to the journal (see `pgpubsub journal`) in the same transaction as its notification, so that listen --durable can replay it; no 8000-byte payload limit'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;bench'= {
            cand --senders 'Connections sending notifications'
            cand --listeners 'Connections listening, each to every channel'
            cand --channels 'Channels; each sender spreads its notifications over them in turn'
            cand --payload-size 'Payload size in bytes, 46 to 7999: sender, session, sequence number and send time, padded'
            cand --batch 'Notifications per transaction (distinct payloads, so none is folded)'
            cand --messages 'Notifications to send in total, over all senders (default 100000 unless --duration)'
            cand --duration 'Send for this long instead of a number of notifications, e.g. 10s, 1m'
            cand --rate 'Open loop: send at this total rate, e.g. 1000/s or 600/min, and measure latency from the scheduled send time so stalls are not hidden (default: as fast as possible)'
            cand --warmup 'Send (and check) for this long before measuring, e.g. 2s'
            cand --drain-timeout 'After sending, wait at most this long for listeners to receive everything (0: no limit)'
            cand --idle-listeners 'Scenario: also hold N sessions listening on channels no one notifies (on PostgreSQL 18 and older each one is woken for every notifying commit)'
            cand --writers 'Scenario: N sessions insert one row per transaction as fast as they can, one phase without and one with NOTIFY (each --duration long, default 5s); compares commits/s and commit latency. Instead of the senders'
            cand --notify-every 'With --writers: a NOTIFY in every K-th transaction of the second phase (default 1)'
            cand --sweep 'Run one open-loop step per rate, doubling from FROM to TO, e.g. 1k..128k (each step --duration long, default 2s); one row per step'
            cand --p99-target 'With --sweep: report the highest rate whose p99 latency stayed within this, e.g. 10ms'
            cand --bin-dir 'With --ephemeral: run the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --stalled-listener 'Scenario: one more listener whose session sits in an open transaction, so the notification queue grows; reports the growth and when the queue would be full, then releases it'
            cand --json 'Print one JSON object (fields below) instead of the table'
            cand --csv 'Print CSV with a header: one row per percentile (latency, sender lag and the writers'' commit latency, in microseconds), or per step of a --sweep'
            cand --ephemeral 'Run against a throwaway server started (and removed) for this run'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;demo'= {
            cand --interval 'How often the demo''s producer sends a batch (one notification per channel), e.g. 2s, 300ms'
            cand --listen-for 'How long the stream step listens before its timer wins, e.g. 5s, 1s'
            cand --bin-dir 'The throwaway server runs the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;conninfo'= {
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;sandbox'= {
            cand --port 'TCP port on 127.0.0.1 to listen on (default: a free one)'
            cand --ssl-cert 'Serve TLS with this PEM certificate (chain); needs --ssl-key'
            cand --ssl-key 'Private key (PEM) for --ssl-cert'
            cand --bin-dir 'Run the PostgreSQL server binaries (initdb, postgres) in DIR, e.g. another release''s (default: PGPUBSUB_BIN_DIR, else PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)'
            cand --set 'Start the server with this setting (postgres -c NAME=VALUE), e.g. max_notify_queue_pages=2048 (PostgreSQL 17+) or synchronous_standby_names=nobody; repeatable'
            cand --idle-stop 'Stop the server by itself after DURATION with no client connected, e.g. 10m, 1s'
            cand --stop 'Stop a detached sandbox, given the URL or directory it printed (default: DATABASE_URL), and remove its files'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --detach 'Print the export line once the server accepts connections and return, leaving the server running in the background (stop it with --stop)'
            cand --supervise 'Internal: run as the supervisor of a detached sandbox'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;request'= {
            cand --file 'Send the whole content of this file as the body'
            cand --timeout 'How long to wait for the replies to a request; exit 3 when they do not all arrive (0: no limit)'
            cand --replies 'Gather N replies (from N responders) per request'
            cand --grace 'Without --key-file: once the replies asked for are in, wait this long for replies from anyone else; different ones are reported (exit 1) instead of printed. 0: no wait'
            cand --key-file 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;reply'= {
            cand --exec 'Answer with `sh -c CMD`: request body on stdin, its stdout is the reply'
            cand --sql 'Answer with QUERY, run with the request envelope as $1 (it replies itself via pg_notify)'
            cand --concurrency 'Requests handled at once; further requests wait for a free slot'
            cand --key-file 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key'
            cand --ready-file 'Create PATH (holding the pid) once requests are listened for; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too'
            cand --reconnect-max 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)'
            cand --keepalive 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;trigger'= {
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
            cand add 'Install (or replace) the notify trigger on a table, in one transaction'
            cand list 'Show the triggers pgpubsub installed: table, channel, events, columns'
            cand remove 'Drop pgpubsub''s trigger(s) from a table, and nothing else'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;trigger;add'= {
            cand --channel 'Channel to notify (default: the table''s name; case is kept exactly)'
            cand --events 'Row changes that notify, comma-separated'
            cand --columns 'Send only these columns of new/old, comma-separated, in SQL syntax (''id,"Total"'')'
            cand --journal-schema 'With --durable: the schema of the journal (default pgpubsub)'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --allow-no-key 'Accept a table without a primary key (an over-long row then arrives without any key)'
            cand --durable 'Append each row change to the journal (see `pgpubsub journal`), whole whatever its length, and notify with its position: listen --durable replays what it missed'
            cand --dry-run 'Print the SQL transaction that would run, and change nothing'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;trigger;list'= {
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --json 'One JSON object per line: schema, table, channel, events, columns, key, triggers, function'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;trigger;remove'= {
            cand --channel 'Only the trigger for this channel (default: every pgpubsub trigger on the table)'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --dry-run 'Print the SQL transaction that would run, and change nothing'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;trigger;help'= {
            cand add 'Install (or replace) the notify trigger on a table, in one transaction'
            cand list 'Show the triggers pgpubsub installed: table, channel, events, columns'
            cand remove 'Drop pgpubsub''s trigger(s) from a table, and nothing else'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;trigger;help;add'= {
        }
        &'pgpubsub;trigger;help;list'= {
        }
        &'pgpubsub;trigger;help;remove'= {
        }
        &'pgpubsub;trigger;help;help'= {
        }
        &'pgpubsub;journal'= {
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the journal (idempotent): its tables and publish(channel, payload)'
            cand drop 'Remove the journal with its records and consumer positions: exactly what init created'
            cand prune 'Delete records older than a duration that no registered consumer still needs'
            cand status 'Records, size and oldest record, and each consumer''s position and lag'
            cand forget 'Remove consumers'' stored positions (prune then no longer keeps records for them)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;journal;init'= {
            cand --schema 'The journal''s schema'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --dry-run 'Print the SQL transaction that would run, and change nothing'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;journal;drop'= {
            cand --schema 'The journal''s schema'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --dry-run 'Print the SQL transaction that would run, and change nothing'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;journal;prune'= {
            cand --older-than 'Delete records published longer ago than DURATION (e.g. 7d, 12h)'
            cand --schema 'The journal''s schema'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --force 'Delete them even when a registered consumer has not read them yet (it then misses them)'
            cand --dry-run 'Say how many records would be deleted, and delete nothing'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;journal;status'= {
            cand --schema 'The journal''s schema'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --json 'One JSON object: schema, records, exact, bytes, first_position, last_position, oldest_published_at, oldest_age_s, consumers[]{name, channels, position, lag_records, lag_s, stored_at, stored_age_s}'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;journal;forget'= {
            cand --schema 'The journal''s schema'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;journal;help'= {
            cand init 'Create the journal (idempotent): its tables and publish(channel, payload)'
            cand drop 'Remove the journal with its records and consumer positions: exactly what init created'
            cand prune 'Delete records older than a duration that no registered consumer still needs'
            cand status 'Records, size and oldest record, and each consumer''s position and lag'
            cand forget 'Remove consumers'' stored positions (prune then no longer keeps records for them)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;journal;help;init'= {
        }
        &'pgpubsub;journal;help;drop'= {
        }
        &'pgpubsub;journal;help;prune'= {
        }
        &'pgpubsub;journal;help;status'= {
        }
        &'pgpubsub;journal;help;forget'= {
        }
        &'pgpubsub;journal;help;help'= {
        }
        &'pgpubsub;status'= {
            cand --watch 'Refresh every DURATION (e.g. 2s, 500ms) until stopped: in place on a terminal, one line per refresh when piped'
            cand --warn 'Queue usage above which the server is degraded, e.g. 50%, 80'
            cand --idle-threshold 'A session idle in a transaction longer than this is a suspect (while the queue is not empty)'
            cand --journal-age 'A journal (durable channels) whose oldest record is older than this is degraded: nothing prunes it, so it grows without bound; 0 turns the check off'
            cand --consumer-lag 'A durable consumer whose oldest unread record is older than this is degraded (fallen behind); 0 turns the check off'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --json 'Print one JSON object per refresh (fields below)'
            cand --show-queries 'Show other sessions'' last query, truncated, with every constant replaced by $1, $2... and every comment by /*…*/ (so no literal value, such as a password, is printed)'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;serve'= {
            cand --channel 'Serve channels matching PATTERN (* any run, ? one character); repeat for more. Required: nothing is served by default'
            cand --bind 'Listen on ADDRESS (HOST:PORT; port 0 picks a free one); repeat for more'
            cand --tokens 'Bearer tokens: one `TOKEN read=PATTERNS [publish=PATTERNS]` per line'
            cand --jwt-secret 'Accept JWTs signed with HS256 by the secret in FILE (at least 32 bytes)'
            cand --jwt-public-key 'Accept JWTs signed with RS256 by the key whose public half is in FILE (PEM)'
            cand --jwt-audience 'Accept only JWTs whose aud claim names AUDIENCE'
            cand --jwt-leeway 'Clock skew allowed on a JWT''s exp and nbf (whole seconds)'
            cand --allow-origin 'Let pages from ORIGIN (e.g. https://app.example) read and publish (CORS); `*` for any; repeat for more'
            cand --tls-cert 'Serve HTTPS with this certificate chain (PEM); needs --tls-key'
            cand --tls-key 'The private key of --tls-cert (PEM)'
            cand --max-subscribers 'Most event streams open at once; more are refused with 503'
            cand --buffer 'Notifications queued per subscriber; one that falls this far behind is cut off (it gets an overflow event saying how many it lost)'
            cand --heartbeat 'Send a comment line on idle streams this often, so proxies keep them open'
            cand --durable 'Read CHANNEL through the journal (see `pgpubsub journal`): records carry their position, and a client reconnecting with Last-Event-ID is replayed what it missed; repeat for more'
            cand --journal-schema 'With --durable: the schema of the journal (default pgpubsub)'
            cand --reconnect-max 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)'
            cand --keepalive 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off'
            cand -d 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand --dbname 'Database name, or a full postgres:// URL, or a key=value conninfo string'
            cand -h 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand --host 'Server host name or IP address, or a Unix-socket directory (starts with /)'
            cand -p 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand --port 'Server port, or one port per host of -h (5432,5433), as in psql'
            cand -U 'User name to connect as'
            cand --username 'User name to connect as'
            cand --connect-timeout 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)'
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand --allow-publish 'Accept POST /notify/CHANNEL (for channels a credential may publish to)'
            cand --payload-json 'Embed a payload that is valid JSON as a JSON value in the records (as listen --payload-json)'
            cand -W 'Prompt for the password (without echo) before connecting'
            cand --password 'Prompt for the password (without echo) before connecting'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;generate'= {
            cand --color 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never'
            cand -v 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --verbose 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password'
            cand --help 'Print help (`-h` is --host, as in psql)'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'pgpubsub;help'= {
            cand listen 'Stream notifications from one or more channels to stdout'
            cand notify 'Send notifications: one from the command line, or one per line of stdin'
            cand bench 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server'
            cand demo 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)'
            cand conninfo 'Connect and show the session the server sees: database, user, address, version, TLS'
            cand sandbox 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL'
            cand request 'Send a request on a channel and print the reply (or replies) to stdout'
            cand reply 'Answer requests on a channel with a shell command or a SQL query'
            cand trigger 'Turn a table''s row changes into notifications: add, list or remove pgpubsub''s trigger'
            cand journal 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads'
            cand status 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded'
            cand serve 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer'
            cand generate 'Write shell completions or man pages (for packagers; the repository ships both)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pgpubsub;help;listen'= {
        }
        &'pgpubsub;help;notify'= {
        }
        &'pgpubsub;help;bench'= {
        }
        &'pgpubsub;help;demo'= {
        }
        &'pgpubsub;help;conninfo'= {
        }
        &'pgpubsub;help;sandbox'= {
        }
        &'pgpubsub;help;request'= {
        }
        &'pgpubsub;help;reply'= {
        }
        &'pgpubsub;help;trigger'= {
            cand add 'Install (or replace) the notify trigger on a table, in one transaction'
            cand list 'Show the triggers pgpubsub installed: table, channel, events, columns'
            cand remove 'Drop pgpubsub''s trigger(s) from a table, and nothing else'
        }
        &'pgpubsub;help;trigger;add'= {
        }
        &'pgpubsub;help;trigger;list'= {
        }
        &'pgpubsub;help;trigger;remove'= {
        }
        &'pgpubsub;help;journal'= {
            cand init 'Create the journal (idempotent): its tables and publish(channel, payload)'
            cand drop 'Remove the journal with its records and consumer positions: exactly what init created'
            cand prune 'Delete records older than a duration that no registered consumer still needs'
            cand status 'Records, size and oldest record, and each consumer''s position and lag'
            cand forget 'Remove consumers'' stored positions (prune then no longer keeps records for them)'
        }
        &'pgpubsub;help;journal;init'= {
        }
        &'pgpubsub;help;journal;drop'= {
        }
        &'pgpubsub;help;journal;prune'= {
        }
        &'pgpubsub;help;journal;status'= {
        }
        &'pgpubsub;help;journal;forget'= {
        }
        &'pgpubsub;help;status'= {
        }
        &'pgpubsub;help;serve'= {
        }
        &'pgpubsub;help;generate'= {
        }
        &'pgpubsub;help;help'= {
        }
    ]
    $completions[$command]
}
