//! From flags and environment to a live connection. Settings are resolved once, with psql's
//! precedence (flags > DATABASE_URL > libpq environment > defaults), and every failure is
//! turned into one human line that names the target and never the password.

mod params;
mod pgpass;
mod prompt;
mod reasons;

use crate::cli::ConnArgs;
use crate::error::{self, usage, Error};
use params::Params;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgListener, PgPoolOptions, PgSslMode};
use sqlx::Connection;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use params::redact;

/// How long to wait for a connection when nobody said (libpq waits forever; a CLI should not).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a password came from, for `--verbose` (the password itself is never shown).
#[derive(Debug, Clone, Copy)]
enum PasswordSource {
    None,
    Given,
    Prompt,
    PassFile,
}

/// Resolved connection settings: everything needed to connect, and to describe the target in
/// messages.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    options: PgConnectOptions,
    timeout: Option<Duration>,
    target: Target,
    password: PasswordSource,
    urls: Vec<String>,
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

/// A connection attempt that failed, already explained for a human.
#[derive(Debug, thiserror::Error)]
#[error("could not connect to {target}: {reason}")]
pub struct ConnectError {
    target: Target,
    reason: String,
}

/// The environment variables that name a server (the others only tune a connection).
const TARGET_VARS: [&str; 6] = [
    "DATABASE_URL",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
];

/// Whether the user said which server to use, by a flag (-d/-h/-p/-U) or the environment.
/// Commands that can run on a throwaway server (`demo`, `bench`) start one only when nothing
/// was said, rather than guessing at a local default server the user never asked for.
pub fn target_given(args: &ConnArgs) -> bool {
    target_given_with(args, |name| std::env::var(name).ok())
}

fn target_given_with(args: &ConnArgs, var: impl Fn(&str) -> Option<String>) -> bool {
    let flags = args.dbname.is_some()
        || args.host.is_some()
        || args.port.is_some()
        || args.username.is_some();
    // An empty variable counts as unset, as in `resolve`.
    flags
        || TARGET_VARS
            .iter()
            .any(|name| var(name).is_some_and(|v| !v.is_empty()))
}

impl ConnSettings {
    /// Resolve `args` against DATABASE_URL, the libpq environment and `~/.pgpass`.
    pub fn resolve(args: &ConnArgs) -> Result<Self, Error> {
        Self::resolve_with(args, |name| std::env::var(name).ok())
    }

    /// Settings for a target given as one string (a URL, conninfo or database name), as `-d`
    /// takes it; e.g. the URL a sandbox printed.
    pub fn for_target(target: &str) -> Result<Self, Error> {
        let args = ConnArgs {
            dbname: Some(target.to_string()),
            ..ConnArgs::default()
        };
        Self::resolve(&args)
    }

    fn resolve_with(args: &ConnArgs, var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let env = Params::from_env(&var).map_err(usage)?;
        let database_url = var("DATABASE_URL").filter(|v| !v.is_empty());
        let from_url = source("DATABASE_URL", database_url.as_deref())?;
        let from_d = source("-d/--dbname", args.dbname.as_deref())?;
        let flags = Params {
            host: args.host.clone(),
            port: args.port,
            user: args.username.clone(),
            connect_timeout: args.connect_timeout,
            ..Params::default()
        };
        let p = flags.over(from_d).over(from_url).over(env);
        // For --verbose: the connection strings used, passwords redacted.
        let urls = [
            ("DATABASE_URL=", database_url.as_deref()),
            ("--dbname ", args.dbname.as_deref()),
        ]
        .into_iter()
        .filter_map(|(label, text)| {
            text.filter(|t| t.contains('=') || params::is_url(t))
                .map(|t| format!("{label}{}", redact(t)))
        })
        .collect();
        Self::build(p, args.password, &var, urls)
    }

    fn build(
        p: Params,
        prompt: bool,
        var: &impl Fn(&str) -> Option<String>,
        urls: Vec<String>,
    ) -> Result<Self, Error> {
        let port = p.port.unwrap_or(5432);
        let host = p.host.unwrap_or_else(|| default_host(port));
        let user = p.user.unwrap_or_else(os_user);
        let database = p.dbname.unwrap_or_else(|| user.clone());
        let (password, source) = if prompt {
            (Some(prompt::password(&user)?), PasswordSource::Prompt)
        } else if let Some(given) = p.password {
            (Some(given), PasswordSource::Given)
        } else {
            let lookup = pgpass::Lookup {
                host: &host,
                port,
                dbname: &database,
                user: &user,
            };
            match passfile(var).and_then(|file| pgpass::find(&file, &lookup, error::warn)) {
                Some(found) => (Some(found), PasswordSource::PassFile),
                None => (None, PasswordSource::None),
            }
        };

        let mut options = PgConnectOptions::new_without_pgpass()
            .port(port)
            .username(&user)
            .database(&database)
            .ssl_mode(p.sslmode.unwrap_or(PgSslMode::Prefer))
            .application_name(p.application_name.as_deref().unwrap_or("pgpubsub"));
        options = if host.starts_with('/') {
            options.socket(&host)
        } else {
            options.host(&host)
        };
        if let Some(password) = &password {
            options = options.password(password);
        }
        if let Some(cert) = &p.sslrootcert {
            options = options.ssl_root_cert(cert);
        }
        if let Some(cert) = &p.sslcert {
            options = options.ssl_client_cert(cert);
        }
        if let Some(key) = &p.sslkey {
            options = options.ssl_client_key(key);
        }
        let endpoint = if host.starts_with('/') {
            format!(
                "socket {}",
                Path::new(&host).join(format!(".s.PGSQL.{port}")).display()
            )
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(ConnSettings {
            options,
            timeout: match p.connect_timeout {
                // 0 means no limit, as in libpq.
                Some(t) if t.is_zero() => None,
                Some(t) => Some(t),
                None => Some(DEFAULT_CONNECT_TIMEOUT),
            },
            target: Target {
                endpoint,
                database,
                user,
            },
            password: source,
            urls,
        })
    }

    /// Settings for a server pgpubsub started itself (see `ephemeral`).
    pub fn for_options(options: PgConnectOptions, endpoint: String) -> Self {
        let target = Target {
            endpoint,
            database: options.get_database().unwrap_or("postgres").to_string(),
            user: options.get_username().to_string(),
        };
        ConnSettings {
            options,
            timeout: Some(DEFAULT_CONNECT_TIMEOUT),
            target,
            password: PasswordSource::None,
            urls: Vec::new(),
        }
    }

    /// The sqlx options, for pools and listeners that connect on their own.
    pub fn options(&self) -> &PgConnectOptions {
        &self.options
    }

    /// The same settings under another `application_name` (so that a role of pgpubsub's, such
    /// as bench's listeners, can be found in `pg_stat_activity`).
    pub fn with_application_name(&self, name: &str) -> Self {
        let mut settings = self.clone();
        settings.options = settings.options.application_name(name);
        settings
    }

    /// A `PgListener` on one dedicated connection that sqlx never replaces behind our back:
    /// a lost connection surfaces as an error on the next read (sqlx would otherwise reconnect
    /// silently and hide the gap), so the caller owns reconnecting and reporting it. Returns
    /// once the server has confirmed LISTEN on every channel.
    pub async fn listener(&self, channels: &[String]) -> Result<PgListener, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            // "No limit" as a year: sqlx adds the timeout to an Instant, which MAX would overflow.
            .acquire_timeout(self.timeout.unwrap_or(Duration::from_secs(365 * 24 * 3600)))
            .connect_lazy_with(self.options.clone());
        let mut listener = PgListener::connect_with(&pool).await?;
        listener.eager_reconnect(false);
        listener.ignore_pool_close_event(true);
        listener
            .listen_all(channels.iter().map(String::as_str))
            .await?;
        // A closed pool cannot hand the listener a replacement connection; the one it holds
        // stays open until the listener is dropped.
        drop(pool.close());
        Ok(listener)
    }

    /// What `--verbose` says before connecting: the target and where settings came from,
    /// with every password redacted.
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
        let mut text = format!(
            "connecting to {}, sslmode {}, application_name {}, connect timeout {timeout}, {password}",
            self.target,
            sslmode_name(self.options.get_ssl_mode()),
            self.options.get_application_name().unwrap_or(""),
        );
        for url in &self.urls {
            text.push_str(&format!("; from {url}"));
        }
        text
    }

    /// Open one connection, within the connect timeout, or explain why not.
    pub async fn connect(&self) -> Result<PgConnection, ConnectError> {
        let attempt = PgConnection::connect_with(&self.options);
        let result = match self.timeout {
            Some(limit) => match tokio::time::timeout(limit, attempt).await {
                Ok(result) => result,
                Err(_) => {
                    return Err(self.failure(format!(
                        "timed out after {}",
                        humantime::format_duration(limit)
                    )))
                }
            },
            None => attempt.await,
        };
        result.map_err(|err| self.failure(self.explain(&err)))
    }

    fn failure(&self, reason: String) -> ConnectError {
        ConnectError {
            target: self.target.clone(),
            reason,
        }
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

/// The settings held by DATABASE_URL or `-d` (a URL, a conninfo string or a database name);
/// a malformed one is a usage error naming `label`.
fn source(label: &str, text: Option<&str>) -> Result<Params, Error> {
    text.map_or(Ok(Params::default()), |text| {
        Params::from_dbname_arg(text).map_err(|e| usage(format!("{label}: {e}")))
    })
}

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

/// libpq's default: the local socket when a server has one in a usual place, else localhost.
fn default_host(port: u16) -> String {
    [
        "/var/run/postgresql",
        "/run/postgresql",
        "/tmp",
        "/private/tmp",
    ]
    .into_iter()
    .find(|dir| Path::new(dir).join(format!(".s.PGSQL.{port}")).exists())
    .unwrap_or("localhost")
    .to_string()
}

/// The user name libpq would default to: the effective OS user.
fn os_user() -> String {
    crate::unix_user::effective()
        .map(|u| u.name)
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "postgres".to_string())
}

fn passfile(var: &impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    var("PGPASSFILE")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".pgpass")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn nothing_said_means_no_target() {
        assert!(!target_given_with(&ConnArgs::default(), env(&[])));
        // Variables that only tune a connection do not pick a server.
        let tuning = [
            ("PGPASSWORD", "x"),
            ("PGAPPNAME", "a"),
            ("PGSSLMODE", "require"),
        ];
        assert!(!target_given_with(&ConnArgs::default(), env(&tuning)));
        // Nor does an empty variable.
        assert!(!target_given_with(
            &ConnArgs::default(),
            env(&[("PGHOST", "")])
        ));
    }

    #[test]
    fn any_flag_or_target_variable_is_a_target() {
        let with = |f: fn(&mut ConnArgs)| {
            let mut args = ConnArgs::default();
            f(&mut args);
            target_given_with(&args, env(&[]))
        };
        assert!(with(|a| a.dbname = Some("db".into())));
        assert!(with(|a| a.host = Some("h".into())));
        assert!(with(|a| a.port = Some(5432)));
        assert!(with(|a| a.username = Some("u".into())));
        for name in TARGET_VARS {
            assert!(
                target_given_with(&ConnArgs::default(), env(&[(name, "x")])),
                "{name}"
            );
        }
    }
}
