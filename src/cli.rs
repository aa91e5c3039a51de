//! The command-line definition: every flag and its help text, nothing else. It is the single
//! source for `--help`, and later for completions and man pages, so wording lives here only.

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// The exit-status table, shared by every `--help` page.
macro_rules! exit_codes {
    () => {
        "Exit status:
  0    success
  1    runtime failure (connection, server error, I/O)
  2    bad usage or bad input found before anything was sent
  130  stopped by SIGINT (Ctrl-C), after cleaning up
  143  stopped by SIGTERM, after cleaning up"
    };
}

const ROOT_AFTER_HELP: &str = concat!(
    "\
Examples:
  pgpubsub demo                          narrated walkthrough on a throwaway server
  pgpubsub sandbox                       throwaway server to play with; prints DATABASE_URL
  pgpubsub listen -d mydb jobs events    stream notifications to stdout
  pgpubsub notify -d mydb jobs '{\"id\":1}'  send one notification

Connection settings, strongest first: command-line flags, DATABASE_URL, the libpq environment
(PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, PGSSLROOTCERT, PGAPPNAME,
PGCONNECT_TIMEOUT, PGPASSFILE or ~/.pgpass), then the defaults (local socket or localhost:5432,
your OS user name).

",
    exit_codes!()
);

/// PostgreSQL LISTEN/NOTIFY as a first-class pub/sub from the shell.
#[derive(Debug, Parser)]
#[command(
    name = "pgpubsub",
    version,
    about,
    after_help = ROOT_AFTER_HELP,
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

    /// Print what pgpubsub is doing (connection target, timings) on stderr; never a password.
    #[arg(short = 'v', long, global = true)]
    pub verbose: bool,

    /// Print help (`-h` is --host, as in psql).
    #[arg(long, global = true, action = ArgAction::Help)]
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
    #[command(disable_help_flag = true, after_help = LISTEN_AFTER_HELP)]
    Listen(ListenArgs),
    /// Send notifications: one from the command line, or one per line of stdin.
    #[command(disable_help_flag = true, after_help = NOTIFY_AFTER_HELP)]
    Notify(NotifyArgs),
    /// Benchmark LISTEN/NOTIFY throughput, latency and loss on a server.
    #[command(disable_help_flag = true, after_help = BENCH_AFTER_HELP)]
    Bench(BenchArgs),
    /// A narrated walkthrough of LISTEN/NOTIFY (on a throwaway server unless told otherwise).
    #[command(disable_help_flag = true, after_help = DEMO_AFTER_HELP)]
    Demo(DemoArgs),
    /// Connect and show the session the server sees: database, user, address, version, TLS.
    #[command(disable_help_flag = true, after_help = CONNINFO_AFTER_HELP)]
    Conninfo(ConninfoArgs),
    /// Start a throwaway PostgreSQL server and keep it until Ctrl-C; prints its DATABASE_URL.
    #[command(disable_help_flag = true, after_help = SANDBOX_AFTER_HELP)]
    Sandbox(SandboxArgs),
}

const LISTEN_AFTER_HELP: &str = "\
Output: one record per notification, flushed as soon as no further notification is ready.
  text (default)  on a terminal: time, channel, sender pid, payload (control characters shown
                  escaped); piped: CHANNEL<TAB>PAYLOAD with \\, newline, tab and CR escaped as
                  \\\\, \\n, \\t, \\r, so each record is one line
  --json          {\"channel\",\"payload\",\"pid\",\"received_at\"} per line (RFC 3339, UTC, µs)
  --format T      T with {channel} {payload} {pid} {time} replaced by the raw values; {{ and }}
                  are literal braces; \\n \\t \\0 \\\\ are newline, tab, NUL, backslash
  --raw           the payload only
Records end with a newline, or a NUL with -0. On a terminal, payloads are sanitized in every format.

Connection loss: pgpubsub reconnects (backoff doubling up to --reconnect-max), listens again and
reports the gap on stderr, and in the output with --events --json. Notifications sent while it was
disconnected are lost: PostgreSQL keeps none for absent listeners.

Examples:
  pgpubsub listen -d mydb jobs
  pgpubsub listen --json jobs | jq .payload
  pgpubsub listen jobs | while IFS=$'\\t' read -r channel payload; do ...; done
  pgpubsub listen -c 1 --timeout 30s job_done      wait for one notification, at most 30 s
  pgpubsub listen --exec './handle.sh' jobs       payload on stdin, PGPUBSUB_CHANNEL in the env

Exit status:
  0    success: --count reached, --timeout or --idle-timeout reached without --count,
       or stdout closed
  1    runtime failure (connection, server error, I/O; connection lost with --no-reconnect)
  2    bad usage or bad input found before anything was sent
  3    --timeout/--idle-timeout reached before --count was satisfied
  130  stopped by SIGINT (Ctrl-C), after printing every notification already received
  143  stopped by SIGTERM, after printing every notification already received";

const NOTIFY_AFTER_HELP: &str = concat!(
    "\
Examples:
  pgpubsub notify -d mydb jobs '{\"id\":1}'

",
    exit_codes!()
);

const BENCH_AFTER_HELP: &str = concat!(
    "\
Examples:
  pgpubsub bench -d mydb

",
    exit_codes!()
);

const DEMO_AFTER_HELP: &str = concat!(
    "\
Examples:
  pgpubsub demo                  on a throwaway server
  pgpubsub demo -d mydb          on your server; removes everything it creates

",
    exit_codes!()
);

const CONNINFO_AFTER_HELP: &str = concat!(
    "\
Prints one `name<TAB>value` line per field, as the server reports it: database, user,
server_address, server_port, server_version, ssl, application_name, in_recovery.

Examples:
  pgpubsub conninfo -d postgres://alice@db.example/app
  pgpubsub conninfo -v           also show where each setting came from (passwords redacted)

",
    exit_codes!()
);

const SANDBOX_AFTER_HELP: &str = concat!(
    "\
The server lives in a temporary directory (trust authentication, a Unix socket in that directory and
a free TCP port on 127.0.0.1) and is removed, with its data, on Ctrl-C or SIGTERM. Stdout gets one
line, `export DATABASE_URL=...`; stderr tells how to reach it with psql.

Examples:
  pgpubsub sandbox               then, in another terminal, paste the export line and run
                                 pgpubsub listen chan0   /   pgpubsub notify chan0 hello

",
    exit_codes!()
);

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

    /// Server port.
    #[arg(short = 'p', long, value_name = "PORT")]
    pub port: Option<u16>,

    /// User name to connect as.
    #[arg(short = 'U', long, value_name = "USER")]
    pub username: Option<String>,

    /// Give up connecting after this long, e.g. 5s, 500ms (default 10s, or PGCONNECT_TIMEOUT).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
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

    /// Exit 0 after N notifications.
    #[arg(short = 'c', long, value_name = "N", help_heading = "Stopping",
          value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,

    /// Stop after DURATION (e.g. 30s, 5m); exit 3 if --count was not reached by then.
    #[arg(long, value_name = "DURATION", help_heading = "Stopping", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,

    /// Stop after DURATION without a notification; exit 3 if --count was not reached by then.
    #[arg(long, value_name = "DURATION", help_heading = "Stopping", value_parser = humantime::parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// Longest wait between reconnection attempts (the wait doubles from 100ms up to this).
    #[arg(long, value_name = "DURATION", help_heading = "Connection loss",
          default_value = "30s", value_parser = humantime::parse_duration)]
    pub reconnect_max: Duration,

    /// Exit 1 when the connection is lost instead of reconnecting.
    #[arg(long, help_heading = "Connection loss")]
    pub no_reconnect: bool,

    /// When idle this long, check the connection with a query (finds half-open connections
    /// that TCP would hide); 0 turns it off.
    #[arg(long, value_name = "DURATION", help_heading = "Connection loss",
          default_value = "30s", value_parser = humantime::parse_duration)]
    pub keepalive: Duration,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub notify` (built by issue #4).
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// Channel to notify (case is kept exactly).
    #[arg(value_name = "CHANNEL")]
    pub channel: String,

    /// Payload to send; `-` reads one payload per line from stdin.
    #[arg(value_name = "PAYLOAD")]
    pub payload: Option<String>,

    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub bench` (built by issue #5).
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `pgpubsub demo` (built by issue #6).
#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
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
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,

    /// Serve TLS with this PEM certificate (chain); needs --ssl-key.
    #[arg(long, value_name = "FILE", requires = "ssl_key")]
    pub ssl_cert: Option<PathBuf>,

    /// Private key (PEM) for --ssl-cert.
    #[arg(long, value_name = "FILE", requires = "ssl_cert")]
    pub ssl_key: Option<PathBuf>,
}
