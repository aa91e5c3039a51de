
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pgpubsub' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pgpubsub'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pgpubsub' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Stream notifications from one or more channels to stdout')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'Send notifications: one from the command line, or one per line of stdin')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)')
            [CompletionResult]::new('conninfo', 'conninfo', [CompletionResultType]::ParameterValue, 'Connect and show the session the server sees: database, user, address, version, TLS')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Send a request on a channel and print the reply (or replies) to stdout')
            [CompletionResult]::new('reply', 'reply', [CompletionResultType]::ParameterValue, 'Answer requests on a channel with a shell command or a SQL query')
            [CompletionResult]::new('trigger', 'trigger', [CompletionResultType]::ParameterValue, 'Turn a table''s row changes into notifications: add, list or remove pgpubsub''s trigger')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers; the repository ships both)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;listen' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Print each notification as TEMPLATE ({channel} {payload} {pid} {time}; see below)')
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Run CMD (with sh -c) for each notification instead of printing it: payload on stdin, PGPUBSUB_CHANNEL and PGPUBSUB_PID in the environment; one at a time, in arrival order')
            [CompletionResult]::new('--consumer', '--consumer', [CompletionResultType]::ParameterName, 'With --durable: resume from the position stored for NAME, and store progress once records are written out (with --exec: once the command succeeded). At-least-once')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --durable: start after POSITION, with the records of the last DURATION (e.g. 1h), or at the beginning of the journal; for a --consumer, move its position there. Without it (and without a stored position) listening starts now')
            [CompletionResult]::new('--journal-schema', '--journal-schema', [CompletionResultType]::ParameterName, 'With --durable: the schema of the journal (default pgpubsub)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Exit 0 after N notifications')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit 0 after N notifications')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Stop after DURATION (e.g. 30s, 5m), connecting included; exit 3 if --count was not reached by then (0: no limit)')
            [CompletionResult]::new('--idle-timeout', '--idle-timeout', [CompletionResultType]::ParameterName, 'Stop after DURATION without a notification; exit 3 if --count was not reached by then (0: no limit)')
            [CompletionResult]::new('--reconnect-max', '--reconnect-max', [CompletionResultType]::ParameterName, 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off')
            [CompletionResult]::new('--on-gap', '--on-gap', [CompletionResultType]::ParameterName, 'After every reconnect, before any new notification is handled, run CMD (with sh -c) to resync: PGPUBSUB_DOWN_MS and PGPUBSUB_REASON in its environment, its stdout is listen''s. A failure is reported and listening goes on')
            [CompletionResult]::new('--ready-file', '--ready-file', [CompletionResultType]::ParameterName, 'Create PATH (holding the pid) once every channel is listened to, for scripts that must not notify before; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per line: channel, payload, pid, received_at')
            [CompletionResult]::new('--payload-json', '--payload-json', [CompletionResultType]::ParameterName, 'With --json: embed a payload that is valid JSON as a JSON value, not a string')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the payload only')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'End records with NUL instead of newline (for `xargs -0`, `read -d ''''`)')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'End records with NUL instead of newline (for `xargs -0`, `read -d ''''`)')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'With --json: also write connection events (listening, disconnected, reconnected)')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'Read the channels'' journal (see `pgpubsub journal`): after a reconnect, replay what was missed instead of losing it; records carry their position')
            [CompletionResult]::new('--no-reconnect', '--no-reconnect', [CompletionResultType]::ParameterName, 'Exit 1 when the connection is lost instead of reconnecting')
            [CompletionResult]::new('--on-gap-required', '--on-gap-required', [CompletionResultType]::ParameterName, 'With --on-gap: a failing CMD stops the listener (exit 1)')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;notify' {
            [CompletionResult]::new('--also', '--also', [CompletionResultType]::ParameterName, 'Also send every payload to this channel, in the same transaction (repeatable)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the whole content of this file as one payload (`-`: all of stdin)')
            [CompletionResult]::new('--journal-schema', '--journal-schema', [CompletionResultType]::ParameterName, 'With --durable: the schema of the journal (default pgpubsub)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Read one payload per line from stdin (the same as PAYLOAD `-`)')
            [CompletionResult]::new('--from-json', '--from-json', [CompletionResultType]::ParameterName, 'Read NDJSON from stdin, one {"channel": ..., "payload": ...} object per line, as `listen --json` writes it; objects with an "event" key are skipped')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Require every payload to be valid JSON')
            [CompletionResult]::new('-0', '-0', [CompletionResultType]::ParameterName, 'Stdin records end with a NUL byte instead of a newline')
            [CompletionResult]::new('--null', '--null', [CompletionResultType]::ParameterName, 'Stdin records end with a NUL byte instead of a newline')
            [CompletionResult]::new('--skip-empty', '--skip-empty', [CompletionResultType]::ParameterName, 'Do not send empty input lines')
            [CompletionResult]::new('--strict', '--strict', [CompletionResultType]::ParameterName, 'Stop at the first invalid input line (exit 2) instead of skipping it')
            [CompletionResult]::new('--atomic', '--atomic', [CompletionResultType]::ParameterName, 'Send all of stdin in one transaction, all or nothing (identical pairs then fold into one)')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'Append every payload to the journal (see `pgpubsub journal`) in the same transaction as its notification, so that listen --durable can replay it; no 8000-byte payload limit')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;bench' {
            [CompletionResult]::new('--senders', '--senders', [CompletionResultType]::ParameterName, 'Connections sending notifications')
            [CompletionResult]::new('--listeners', '--listeners', [CompletionResultType]::ParameterName, 'Connections listening, each to every channel')
            [CompletionResult]::new('--channels', '--channels', [CompletionResultType]::ParameterName, 'Channels; each sender spreads its notifications over them in turn')
            [CompletionResult]::new('--payload-size', '--payload-size', [CompletionResultType]::ParameterName, 'Payload size in bytes, 46 to 7999: sender, session, sequence number and send time, padded')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Notifications per transaction (distinct payloads, so none is folded)')
            [CompletionResult]::new('--messages', '--messages', [CompletionResultType]::ParameterName, 'Notifications to send in total, over all senders (default 100000 unless --duration)')
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'Send for this long instead of a number of notifications, e.g. 10s, 1m')
            [CompletionResult]::new('--rate', '--rate', [CompletionResultType]::ParameterName, 'Open loop: send at this total rate, e.g. 1000/s or 600/min, and measure latency from the scheduled send time so stalls are not hidden (default: as fast as possible)')
            [CompletionResult]::new('--warmup', '--warmup', [CompletionResultType]::ParameterName, 'Send (and check) for this long before measuring, e.g. 2s')
            [CompletionResult]::new('--drain-timeout', '--drain-timeout', [CompletionResultType]::ParameterName, 'After sending, wait at most this long for listeners to receive everything (0: no limit)')
            [CompletionResult]::new('--idle-listeners', '--idle-listeners', [CompletionResultType]::ParameterName, 'Scenario: also hold N sessions listening on channels no one notifies (on PostgreSQL 18 and older each one is woken for every notifying commit)')
            [CompletionResult]::new('--writers', '--writers', [CompletionResultType]::ParameterName, 'Scenario: N sessions insert one row per transaction as fast as they can, one phase without and one with NOTIFY (each --duration long, default 5s); compares commits/s and commit latency. Instead of the senders')
            [CompletionResult]::new('--notify-every', '--notify-every', [CompletionResultType]::ParameterName, 'With --writers: a NOTIFY in every K-th transaction of the second phase (default 1)')
            [CompletionResult]::new('--sweep', '--sweep', [CompletionResultType]::ParameterName, 'Run one open-loop step per rate, doubling from FROM to TO, e.g. 1k..128k (each step --duration long, default 2s); one row per step')
            [CompletionResult]::new('--p99-target', '--p99-target', [CompletionResultType]::ParameterName, 'With --sweep: report the highest rate whose p99 latency stayed within this, e.g. 10ms')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'With --ephemeral: run the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--stalled-listener', '--stalled-listener', [CompletionResultType]::ParameterName, 'Scenario: one more listener whose session sits in an open transaction, so the notification queue grows; reports the growth and when the queue would be full, then releases it')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object (fields below) instead of the table')
            [CompletionResult]::new('--csv', '--csv', [CompletionResultType]::ParameterName, 'Print CSV with a header: one row per percentile (latency, sender lag and the writers'' commit latency, in microseconds), or per step of a --sweep')
            [CompletionResult]::new('--ephemeral', '--ephemeral', [CompletionResultType]::ParameterName, 'Run against a throwaway server started (and removed) for this run')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;demo' {
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'How often the demo''s producer sends a batch (one notification per channel), e.g. 2s, 300ms')
            [CompletionResult]::new('--listen-for', '--listen-for', [CompletionResultType]::ParameterName, 'How long the stream step listens before its timer wins, e.g. 5s, 1s')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'The throwaway server runs the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR, else the ones found on this machine)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;conninfo' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;sandbox' {
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'TCP port on 127.0.0.1 to listen on (default: a free one)')
            [CompletionResult]::new('--ssl-cert', '--ssl-cert', [CompletionResultType]::ParameterName, 'Serve TLS with this PEM certificate (chain); needs --ssl-key')
            [CompletionResult]::new('--ssl-key', '--ssl-key', [CompletionResultType]::ParameterName, 'Private key (PEM) for --ssl-cert')
            [CompletionResult]::new('--bin-dir', '--bin-dir', [CompletionResultType]::ParameterName, 'Run the PostgreSQL server binaries (initdb, postgres) in DIR, e.g. another release''s (default: PGPUBSUB_BIN_DIR, else PATH, pg_config --bindir, /usr/lib/postgresql/*/bin)')
            [CompletionResult]::new('--set', '--set', [CompletionResultType]::ParameterName, 'Start the server with this setting (postgres -c NAME=VALUE), e.g. max_notify_queue_pages=2048 (PostgreSQL 17+) or synchronous_standby_names=nobody; repeatable')
            [CompletionResult]::new('--idle-stop', '--idle-stop', [CompletionResultType]::ParameterName, 'Stop the server by itself after DURATION with no client connected, e.g. 10m, 1s')
            [CompletionResult]::new('--stop', '--stop', [CompletionResultType]::ParameterName, 'Stop a detached sandbox, given the URL or directory it printed (default: DATABASE_URL), and remove its files')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--detach', '--detach', [CompletionResultType]::ParameterName, 'Print the export line once the server accepts connections and return, leaving the server running in the background (stop it with --stop)')
            [CompletionResult]::new('--supervise', '--supervise', [CompletionResultType]::ParameterName, 'Internal: run as the supervisor of a detached sandbox')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;request' {
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'Send the whole content of this file as the body')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the replies to a request; exit 3 when they do not all arrive (0: no limit)')
            [CompletionResult]::new('--replies', '--replies', [CompletionResultType]::ParameterName, 'Gather N replies (from N responders) per request')
            [CompletionResult]::new('--grace', '--grace', [CompletionResultType]::ParameterName, 'Without --key-file: once the replies asked for are in, wait this long for replies from anyone else; different ones are reported (exit 1) instead of printed. 0: no wait')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;reply' {
            [CompletionResult]::new('--exec', '--exec', [CompletionResultType]::ParameterName, 'Answer with `sh -c CMD`: request body on stdin, its stdout is the reply')
            [CompletionResult]::new('--sql', '--sql', [CompletionResultType]::ParameterName, 'Answer with QUERY, run with the request envelope as $1 (it replies itself via pg_notify)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'Requests handled at once; further requests wait for a free slot')
            [CompletionResult]::new('--key-file', '--key-file', [CompletionResultType]::ParameterName, 'Sign requests and replies with the key in this file (at least 16 bytes, readable by its owner only), and accept only those signed with it; both sides need the same key')
            [CompletionResult]::new('--ready-file', '--ready-file', [CompletionResultType]::ParameterName, 'Create PATH (holding the pid) once requests are listened for; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too')
            [CompletionResult]::new('--reconnect-max', '--reconnect-max', [CompletionResultType]::ParameterName, 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;trigger' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install (or replace) the notify trigger on a table, in one transaction')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the triggers pgpubsub installed: table, channel, events, columns')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Drop pgpubsub''s trigger(s) from a table, and nothing else')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;trigger;add' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Channel to notify (default: the table''s name; case is kept exactly)')
            [CompletionResult]::new('--events', '--events', [CompletionResultType]::ParameterName, 'Row changes that notify, comma-separated')
            [CompletionResult]::new('--columns', '--columns', [CompletionResultType]::ParameterName, 'Send only these columns of new/old, comma-separated, in SQL syntax (''id,"Total"'')')
            [CompletionResult]::new('--journal-schema', '--journal-schema', [CompletionResultType]::ParameterName, 'With --durable: the schema of the journal (default pgpubsub)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--allow-no-key', '--allow-no-key', [CompletionResultType]::ParameterName, 'Accept a table without a primary key (an over-long row then arrives without any key)')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'Append each row change to the journal (see `pgpubsub journal`), whole whatever its length, and notify with its position: listen --durable replays what it missed')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL transaction that would run, and change nothing')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;trigger;list' {
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per line: schema, table, channel, events, columns, key, triggers, function')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;trigger;remove' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Only the trigger for this channel (default: every pgpubsub trigger on the table)')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL transaction that would run, and change nothing')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;trigger;help' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install (or replace) the notify trigger on a table, in one transaction')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the triggers pgpubsub installed: table, channel, events, columns')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Drop pgpubsub''s trigger(s) from a table, and nothing else')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;trigger;help;add' {
            break
        }
        'pgpubsub;trigger;help;list' {
            break
        }
        'pgpubsub;trigger;help;remove' {
            break
        }
        'pgpubsub;trigger;help;help' {
            break
        }
        'pgpubsub;journal' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the journal (idempotent): its tables and publish(channel, payload)')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Remove the journal with its records and consumer positions: exactly what init created')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete records older than a duration that no registered consumer still needs')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Records, size and oldest record, and each consumer''s position and lag')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove consumers'' stored positions (prune then no longer keeps records for them)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;journal;init' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The journal''s schema')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL transaction that would run, and change nothing')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;journal;drop' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The journal''s schema')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the SQL transaction that would run, and change nothing')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;journal;prune' {
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Delete records published longer ago than DURATION (e.g. 7d, 12h)')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The journal''s schema')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Delete them even when a registered consumer has not read them yet (it then misses them)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Say how many records would be deleted, and delete nothing')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;journal;status' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The journal''s schema')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object: schema, records, bytes, first_position, last_position, oldest_published_at, oldest_age_s, consumers[]{name, channels, position, lag_records, lag_s, stored_at, stored_age_s}')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;journal;forget' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The journal''s schema')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;journal;help' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the journal (idempotent): its tables and publish(channel, payload)')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Remove the journal with its records and consumer positions: exactly what init created')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete records older than a duration that no registered consumer still needs')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Records, size and oldest record, and each consumer''s position and lag')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove consumers'' stored positions (prune then no longer keeps records for them)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;journal;help;init' {
            break
        }
        'pgpubsub;journal;help;drop' {
            break
        }
        'pgpubsub;journal;help;prune' {
            break
        }
        'pgpubsub;journal;help;status' {
            break
        }
        'pgpubsub;journal;help;forget' {
            break
        }
        'pgpubsub;journal;help;help' {
            break
        }
        'pgpubsub;status' {
            [CompletionResult]::new('--watch', '--watch', [CompletionResultType]::ParameterName, 'Refresh every DURATION (e.g. 2s, 500ms) until stopped: in place on a terminal, one line per refresh when piped')
            [CompletionResult]::new('--warn', '--warn', [CompletionResultType]::ParameterName, 'Queue usage above which the server is degraded, e.g. 50%, 80')
            [CompletionResult]::new('--idle-threshold', '--idle-threshold', [CompletionResultType]::ParameterName, 'A session idle in a transaction longer than this is a suspect (while the queue is not empty)')
            [CompletionResult]::new('--journal-age', '--journal-age', [CompletionResultType]::ParameterName, 'A journal (durable channels) whose oldest record is older than this is degraded: nothing prunes it, so it grows without bound; 0 turns the check off')
            [CompletionResult]::new('--consumer-lag', '--consumer-lag', [CompletionResultType]::ParameterName, 'A durable consumer whose oldest unread record is older than this is degraded (fallen behind); 0 turns the check off')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per refresh (fields below)')
            [CompletionResult]::new('--show-queries', '--show-queries', [CompletionResultType]::ParameterName, 'Show other sessions'' last query, truncated, with every constant replaced by $1, $2... and every comment by /*…*/ (so no literal value, such as a password, is printed)')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;serve' {
            [CompletionResult]::new('--channel', '--channel', [CompletionResultType]::ParameterName, 'Serve channels matching PATTERN (* any run, ? one character); repeat for more. Required: nothing is served by default')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Listen on ADDRESS (HOST:PORT; port 0 picks a free one); repeat for more')
            [CompletionResult]::new('--tokens', '--tokens', [CompletionResultType]::ParameterName, 'Bearer tokens: one `TOKEN read=PATTERNS [publish=PATTERNS]` per line')
            [CompletionResult]::new('--jwt-secret', '--jwt-secret', [CompletionResultType]::ParameterName, 'Accept JWTs signed with HS256 by the secret in FILE (at least 32 bytes)')
            [CompletionResult]::new('--jwt-public-key', '--jwt-public-key', [CompletionResultType]::ParameterName, 'Accept JWTs signed with RS256 by the key whose public half is in FILE (PEM)')
            [CompletionResult]::new('--jwt-audience', '--jwt-audience', [CompletionResultType]::ParameterName, 'Accept only JWTs whose aud claim names AUDIENCE')
            [CompletionResult]::new('--jwt-leeway', '--jwt-leeway', [CompletionResultType]::ParameterName, 'Clock skew allowed on a JWT''s exp and nbf (whole seconds)')
            [CompletionResult]::new('--allow-origin', '--allow-origin', [CompletionResultType]::ParameterName, 'Let pages from ORIGIN (e.g. https://app.example) read and publish (CORS); `*` for any; repeat for more')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'Serve HTTPS with this certificate chain (PEM); needs --tls-key')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'The private key of --tls-cert (PEM)')
            [CompletionResult]::new('--max-subscribers', '--max-subscribers', [CompletionResultType]::ParameterName, 'Most event streams open at once; more are refused with 503')
            [CompletionResult]::new('--buffer', '--buffer', [CompletionResultType]::ParameterName, 'Notifications queued per subscriber; one that falls this far behind is cut off (it gets an overflow event saying how many it lost)')
            [CompletionResult]::new('--heartbeat', '--heartbeat', [CompletionResultType]::ParameterName, 'Send a comment line on idle streams this often, so proxies keep them open')
            [CompletionResult]::new('--durable', '--durable', [CompletionResultType]::ParameterName, 'Read CHANNEL through the journal (see `pgpubsub journal`): records carry their position, and a client reconnecting with Last-Event-ID is replayed what it missed; repeat for more')
            [CompletionResult]::new('--journal-schema', '--journal-schema', [CompletionResultType]::ParameterName, 'With --durable: the schema of the journal (default pgpubsub)')
            [CompletionResult]::new('--reconnect-max', '--reconnect-max', [CompletionResultType]::ParameterName, 'Longest wait between reconnection attempts (the wait doubles from 100ms up to this)')
            [CompletionResult]::new('--keepalive', '--keepalive', [CompletionResultType]::ParameterName, 'When idle this long, check the connection with a query (finds half-open connections that TCP would hide); 0 turns it off')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('--dbname', '--dbname', [CompletionResultType]::ParameterName, 'Database name, or a full postgres:// URL, or a key=value conninfo string')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('--host', '--host', [CompletionResultType]::ParameterName, 'Server host name or IP address, or a Unix-socket directory (starts with /)')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Server port, or one port per host of -h (5432,5433), as in psql')
            [CompletionResult]::new('-U', '-U ', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'User name to connect as')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or PGCONNECT_TIMEOUT)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('--allow-publish', '--allow-publish', [CompletionResultType]::ParameterName, 'Accept POST /notify/CHANNEL (for channels a credential may publish to)')
            [CompletionResult]::new('--payload-json', '--payload-json', [CompletionResultType]::ParameterName, 'Embed a payload that is valid JSON as a JSON value in the records (as listen --payload-json)')
            [CompletionResult]::new('-W', '-W ', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'Prompt for the password (without echo) before connecting')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;generate' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no notes, status lines or warnings on stderr, only the error that ends a command')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (`-h` is --host, as in psql)')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'pgpubsub;help' {
            [CompletionResult]::new('listen', 'listen', [CompletionResultType]::ParameterValue, 'Stream notifications from one or more channels to stdout')
            [CompletionResult]::new('notify', 'notify', [CompletionResultType]::ParameterValue, 'Send notifications: one from the command line, or one per line of stdin')
            [CompletionResult]::new('bench', 'bench', [CompletionResultType]::ParameterValue, 'Benchmark LISTEN/NOTIFY throughput, latency and loss on a server')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise)')
            [CompletionResult]::new('conninfo', 'conninfo', [CompletionResultType]::ParameterValue, 'Connect and show the session the server sees: database, user, address, version, TLS')
            [CompletionResult]::new('sandbox', 'sandbox', [CompletionResultType]::ParameterValue, 'Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL')
            [CompletionResult]::new('request', 'request', [CompletionResultType]::ParameterValue, 'Send a request on a channel and print the reply (or replies) to stdout')
            [CompletionResult]::new('reply', 'reply', [CompletionResultType]::ParameterValue, 'Answer requests on a channel with a shell command or a SQL query')
            [CompletionResult]::new('trigger', 'trigger', [CompletionResultType]::ParameterValue, 'Turn a table''s row changes into notifications: add, list or remove pgpubsub''s trigger')
            [CompletionResult]::new('journal', 'journal', [CompletionResultType]::ParameterValue, 'Durable channels: create, inspect, prune or remove the journal that listen --durable reads')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Fan one listening session out to many HTTP subscribers (server-sent events), with a live viewer')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write shell completions or man pages (for packagers; the repository ships both)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pgpubsub;help;listen' {
            break
        }
        'pgpubsub;help;notify' {
            break
        }
        'pgpubsub;help;bench' {
            break
        }
        'pgpubsub;help;demo' {
            break
        }
        'pgpubsub;help;conninfo' {
            break
        }
        'pgpubsub;help;sandbox' {
            break
        }
        'pgpubsub;help;request' {
            break
        }
        'pgpubsub;help;reply' {
            break
        }
        'pgpubsub;help;trigger' {
            [CompletionResult]::new('add', 'add', [CompletionResultType]::ParameterValue, 'Install (or replace) the notify trigger on a table, in one transaction')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'Show the triggers pgpubsub installed: table, channel, events, columns')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Drop pgpubsub''s trigger(s) from a table, and nothing else')
            break
        }
        'pgpubsub;help;trigger;add' {
            break
        }
        'pgpubsub;help;trigger;list' {
            break
        }
        'pgpubsub;help;trigger;remove' {
            break
        }
        'pgpubsub;help;journal' {
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Create the journal (idempotent): its tables and publish(channel, payload)')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Remove the journal with its records and consumer positions: exactly what init created')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete records older than a duration that no registered consumer still needs')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Records, size and oldest record, and each consumer''s position and lag')
            [CompletionResult]::new('forget', 'forget', [CompletionResultType]::ParameterValue, 'Remove consumers'' stored positions (prune then no longer keeps records for them)')
            break
        }
        'pgpubsub;help;journal;init' {
            break
        }
        'pgpubsub;help;journal;drop' {
            break
        }
        'pgpubsub;help;journal;prune' {
            break
        }
        'pgpubsub;help;journal;status' {
            break
        }
        'pgpubsub;help;journal;forget' {
            break
        }
        'pgpubsub;help;status' {
            break
        }
        'pgpubsub;help;serve' {
            break
        }
        'pgpubsub;help;generate' {
            break
        }
        'pgpubsub;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
