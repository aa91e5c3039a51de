//! From flags and environment to a live connection on the right server. Settings are
//! resolved once, as libpq resolves them (flags > `-d` > DATABASE_URL > service file > libpq
//! environment > defaults), into a list of candidate hosts; every connection then runs host
//! selection over that list (see `select`), so a reconnect after a failover finds the new
//! primary. Every failure is turned into words that name the target and never the password.

mod keywords;
mod params;
mod pgpass;
mod prompt;
mod reasons;
mod resolve;
mod select;
mod service;

use crate::error::Error;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgSslMode};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use select::Attrs;

/// How long to wait for a connection when nobody said (libpq waits forever; a CLI should not).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The connection flags every subcommand shares, as plain values (the clap definition is
/// converted into this by `app`, so this room never sees clap).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `-d`: a database name, a URL or a conninfo string.
    pub dbname: Option<String>,
    /// `-h`: host names, addresses or socket directories, comma-separated.
    pub host: Option<String>,
    /// `-p`: one port, or one per host, comma-separated.
    pub port: Option<String>,
    /// `-U`.
    pub user: Option<String>,
    /// `--connect-timeout`.
    pub connect_timeout: Option<Duration>,
    /// `-W`: prompt for the password.
    pub prompt: bool,
}

/// Where a password came from, for `--verbose` (the password itself is never shown).
#[derive(Debug, Clone, Copy)]
enum PasswordSource {
    None,
    Given,
    Prompt,
    PassFile,
}

/// Resolved connection settings: the candidate hosts and how to choose among them, and the
/// host in use (the first candidate until a connection chose one; see [`Connected`]), which
/// is what pools, listeners and messages use.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    options: PgConnectOptions,
    timeout: Option<Duration>,
    target: Target,
    password: PasswordSource,
    choice: Arc<Choice>,
}

/// One candidate host, ready to connect to.
#[derive(Debug, Clone)]
struct Candidate {
    options: PgConnectOptions,
    target: Target,
    password: PasswordSource,
}

/// What host selection works from: every candidate in the order given, and the rules.
#[derive(Debug, Clone)]
struct Choice {
    candidates: Vec<Candidate>,
    attrs: Attrs,
    /// Whether `attrs` was chosen by pgpubsub rather than the user (see
    /// [`ConnSettings::for_notifications`]).
    attrs_defaulted: bool,
    /// `load_balance_hosts=random`: try the candidates in random order.
    shuffle: bool,
    /// Every setting with its source, for `--verbose` (passwords redacted).
    sources: String,
}

/// Who we are connecting to, as shown in messages: endpoint, database and user.
#[derive(Debug, Clone)]
pub struct Target {
    endpoint: String,
    database: String,
    user: String,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (database \"{}\", user \"{}\")",
            self.endpoint, self.database, self.user
        )
    }
}

/// A connection attempt that failed, already explained for a human: one line for one host,
/// or a line per host tried when there were several.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(String);

/// Whether the user said which server to use, by a flag (-d/-h/-p/-U) or the environment.
/// Commands that can run on a throwaway server (`demo`, `bench`) start one only when nothing
/// was said, rather than guessing at a local default server the user never asked for.
pub fn target_given(flags: impl Into<Flags>) -> bool {
    resolve::target_given(&flags.into(), &|name| std::env::var(name).ok())
}

impl ConnSettings {
    /// Resolve `flags` against DATABASE_URL, service files, the libpq environment and the
    /// password file.
    pub fn resolve(flags: impl Into<Flags>) -> Result<Self, Error> {
        resolve::resolve(&flags.into(), &|name| std::env::var(name).ok())
    }

    /// Settings for a target given as one string (a URL, conninfo or database name), as `-d`
    /// takes it; e.g. the URL a sandbox printed.
    pub fn for_target(target: &str) -> Result<Self, Error> {
        Self::resolve(Flags {
            dbname: Some(target.to_string()),
            ..Flags::default()
        })
    }

    /// Settings for a server pgpubsub started itself (see `ephemeral`).
    pub fn for_options(options: PgConnectOptions, endpoint: String) -> Self {
        let candidate = Candidate {
            target: Target {
                endpoint,
                database: options.get_database().unwrap_or("postgres").to_string(),
                user: options.get_username().to_string(),
            },
            options,
            password: PasswordSource::None,
        };
        ConnSettings::from_candidates(
            vec![candidate],
            Some(DEFAULT_CONNECT_TIMEOUT),
            Choice {
                candidates: Vec::new(),
                attrs: Attrs::Any,
                attrs_defaulted: false,
                shuffle: false,
                sources: String::new(),
            },
        )
    }

    /// Settings over `candidates` (at least one), in use on the first.
    fn from_candidates(
        candidates: Vec<Candidate>,
        timeout: Option<Duration>,
        choice: Choice,
    ) -> Self {
        let first = candidates[0].clone();
        ConnSettings {
            options: first.options,
            timeout,
            target: first.target,
            password: first.password,
            choice: Arc::new(Choice {
                candidates,
                ..choice
            }),
        }
    }

    /// The settings of `candidate` alone: what selection chose (its role already checked), or
    /// what it tries next.
    fn on(&self, candidate: &Candidate) -> Self {
        ConnSettings {
            options: candidate.options.clone(),
            target: candidate.target.clone(),
            password: candidate.password,
            timeout: self.timeout,
            choice: Arc::new(Choice {
                candidates: vec![candidate.clone()],
                attrs: Attrs::Any,
                attrs_defaulted: false,
                shuffle: false,
                sources: self.choice.sources.clone(),
            }),
        }
    }

    /// For `listen`, `notify` and `bench` (named by `command`): LISTEN and NOTIFY need a
    /// primary, since standbys refuse both. With several hosts and no target_session_attrs
    /// from the user, standbys are passed over; asking for a standby is a usage error.
    pub fn for_notifications(mut self, command: &str) -> Result<Self, Error> {
        let choice = Arc::make_mut(&mut self.choice);
        match choice.attrs {
            Attrs::Standby | Attrs::PreferStandby if !choice.attrs_defaulted => {
                Err(crate::error::usage(format!(
                    "{command} needs a primary: standbys refuse LISTEN and NOTIFY, so \
                     target_session_attrs={} cannot work (use read-write or primary)",
                    choice.attrs
                )))
            }
            Attrs::Any if choice.candidates.len() > 1 => {
                choice.attrs = Attrs::Primary;
                choice.attrs_defaulted = true;
                Ok(self)
            }
            _ => Ok(self),
        }
    }

    /// The host in use, as messages name it (`host:port`, or the socket file).
    pub fn endpoint(&self) -> &str {
        &self.target.endpoint
    }

    /// The same settings under another `application_name` (so that a role of pgpubsub's, such
    /// as bench's listeners, can be found in `pg_stat_activity`).
    pub fn with_application_name(&self, name: &str) -> Self {
        let mut settings = self.clone();
        settings.options = settings.options.application_name(name);
        for candidate in &mut Arc::make_mut(&mut settings.choice).candidates {
            candidate.options = candidate.options.clone().application_name(name);
        }
        settings
    }

    /// A pool of up to `max_connections` to the host in use, connecting when first used,
    /// each connection within the connect timeout.
    pub fn pool(&self, max_connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(self.acquire_timeout())
            .connect_lazy_with(self.options.clone())
    }

    /// The connect timeout as a pool's acquire timeout: "no limit" as a year, since sqlx adds
    /// it to an Instant, which Duration::MAX would overflow.
    fn acquire_timeout(&self) -> Duration {
        self.timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600))
    }

    /// A `PgListener` on one dedicated connection to the host in use, that sqlx never
    /// replaces behind our back: a lost connection surfaces as an error on the next read
    /// (sqlx would otherwise reconnect silently and hide the gap), so the caller owns
    /// reconnecting and reporting it. Returns once the server has confirmed LISTEN on every
    /// channel (none is allowed: `serve` starts listening when subscribers come).
    pub async fn listener(&self, channels: &[String]) -> Result<PgListener, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .acquire_timeout(self.acquire_timeout())
            .connect_lazy_with(self.options.clone());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        if !channels.is_empty() {
            listener
                .listen_all(channels.iter().map(String::as_str))
                .await?;
        }
        // A closed pool cannot hand the listener a replacement connection; the one it holds
        // stays open until the listener is dropped.
        drop(pool.close());
        Ok(listener)
    }

    /// What `--verbose` says before connecting: the target and the selection rules on one
    /// line, then where every setting came from, one line each, with every password redacted.
    pub fn describe(&self) -> String {
        let password = match self.password {
            PasswordSource::None => "no password",
            PasswordSource::Given => "password from the connection settings",
            PasswordSource::Prompt => "password from the prompt",
            PasswordSource::PassFile => "password from the password file",
        };
        let timeout = self.timeout.map_or("none".to_string(), |t| {
            humantime::format_duration(t).to_string()
        });
        let choice = &self.choice;
        let target = if choice.candidates.len() > 1 {
            let hosts: Vec<&str> = choice
                .candidates
                .iter()
                .map(|c| c.target.endpoint.as_str())
                .collect();
            format!(
                "the first fitting host of {} (database \"{}\", user \"{}\")",
                hosts.join(", "),
                self.target.database,
                self.target.user
            )
        } else {
            self.target.to_string()
        };
        let mut text = format!(
            "connecting to {target}, sslmode {}, application_name {}, connect timeout {timeout}, {password}",
            sslmode_name(self.options.get_ssl_mode()),
            self.options.get_application_name().unwrap_or(""),
        );
        if choice.attrs != Attrs::Any || choice.candidates.len() > 1 {
            text.push_str(&format!(", target_session_attrs {}", choice.attrs));
            if choice.attrs_defaulted {
                text.push_str(" (with several hosts: standbys refuse LISTEN and NOTIFY)");
            }
            if choice.shuffle {
                text.push_str(", hosts in random order");
            }
        }
        text.push_str(&choice.sources);
        text
    }

    /// The same failure for the host in use, as an error.
    fn failure(&self, reason: String) -> ConnectError {
        ConnectError(format!("could not connect to {}: {reason}", self.target))
    }

    /// One line for a sqlx connection error, in the words psql users know.
    pub fn explain(&self, err: &sqlx::Error) -> String {
        let Target { database, user, .. } = &self.target;
        let sslmode = sslmode_name(self.options.get_ssl_mode());
        match err {
            sqlx::Error::Database(db) => match db.code().as_deref() {
                // sqlx answers a password request with an empty password rather than failing
                // as libpq does; PostgreSQL never accepts an empty one, so this is psql's case.
                Some("28P01") if matches!(self.password, PasswordSource::None) => format!(
                    "no password supplied, and the server requires one for user \"{user}\" \
                     (give it with -W, PGPASSWORD or ~/.pgpass)"
                ),
                Some("28P01") => format!("password authentication failed for user \"{user}\""),
                Some("3D000") => format!("database \"{database}\" does not exist"),
                _ if pooler_symptom(err).is_some() => format!("{}: {POOLER_HINT}", db.message()),
                _ if db.message().contains("unsupported startup parameter") => format!(
                    "{} (PgBouncer? list it in ignore_startup_parameters)",
                    db.message()
                ),
                _ => db.message().to_string(),
            },
            sqlx::Error::Io(io) => match io.kind() {
                std::io::ErrorKind::ConnectionRefused => {
                    "connection refused (is the server running and accepting TCP/IP connections?)"
                        .into()
                }
                std::io::ErrorKind::NotFound if self.options.get_socket().is_some() => {
                    "no such socket file (is the server running locally?)".into()
                }
                std::io::ErrorKind::UnexpectedEof => reasons::closed(io, self.options.get_port()),
                // sqlx reads these files only once the server has agreed to TLS, and does not
                // say which one it could not read.
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    if !matches!(self.options.get_ssl_mode(), PgSslMode::Disable)
                        && self.options.get_socket().is_none() =>
                {
                    format!("cannot read the file given as sslrootcert, sslcert or sslkey: {io}")
                }
                // rustls reports handshake and certificate failures as invalid data.
                std::io::ErrorKind::InvalidData
                    if !matches!(self.options.get_ssl_mode(), PgSslMode::Disable) =>
                {
                    reasons::certificate(io, self.options.get_host(), sslmode)
                        .unwrap_or_else(|| format!("TLS error: {io}"))
                }
                _ if io.to_string().contains("lookup address") => {
                    format!(
                        "could not resolve host name \"{}\"",
                        self.options.get_host()
                    )
                }
                _ => io.to_string(),
            },
            sqlx::Error::Protocol(message) => reasons::protocol(message, self.options.get_port()),
            sqlx::Error::Tls(tls) if tls.to_string() == "server does not support TLS" => {
                reasons::no_tls(sslmode)
            }
            sqlx::Error::Tls(tls) => format!("TLS error: {}", chain(tls.as_ref())),
            other => chain(other),
        }
    }
}

/// The server's message when `err` says a prepared statement is missing or already exists:
/// on a connection of its own pgpubsub never causes either, but behind a transaction-mode
/// pooler one client's statements meet another's, or each transaction may run in another
/// server session.
pub fn pooler_symptom(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("26000" | "42P05")) => {
            Some(db.message())
        }
        _ => None,
    }
}

/// The end of every error that points at a transaction-mode pooler.
pub const POOLER_HINT: &str =
    "is a transaction-mode pooler (e.g. PgBouncer pool_mode=transaction) \
     in between? LISTEN needs a session; connect to the server directly or through a \
     session-mode pool";

/// An error and its sources on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn sslmode_name(mode: PgSslMode) -> &'static str {
    match mode {
        PgSslMode::Disable => "disable",
        PgSslMode::Allow => "allow",
        PgSslMode::Prefer => "prefer",
        PgSslMode::Require => "require",
        PgSslMode::VerifyCa => "verify-ca",
        PgSslMode::VerifyFull => "verify-full",
    }
}
