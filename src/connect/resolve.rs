//! From the sources of settings to candidate hosts: the overlay of flags, `-d`, DATABASE_URL,
//! a service file and the environment; libpq's host, hostaddr and port lists; and for each
//! host the sqlx options, with its own password from the password file.

use super::params::{Params, Setting, Source};
use super::select::Attrs;
use super::{
    keywords, params, pgpass, prompt, service, Candidate, Choice, ConnSettings, Flags,
    PasswordSource, Target, DEFAULT_CONNECT_TIMEOUT,
};
use crate::error::{self, usage, Error};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variables that name a server (the others only tune a connection).
const TARGET_VARS: [&str; 7] = [
    "DATABASE_URL",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGSERVICE",
];

/// Environment variables that libpq sends as run-time parameters, with the parameter.
const RUNTIME_VARS: [(&str, &str); 3] = [
    ("PGDATESTYLE", "datestyle"),
    ("PGTZ", "timezone"),
    ("PGGEQO", "geqo"),
];

/// See [`super::target_given`].
pub fn target_given(flags: &Flags, var: &impl Fn(&str) -> Option<String>) -> bool {
    let given = flags.dbname.is_some()
        || flags.host.is_some()
        || flags.port.is_some()
        || flags.user.is_some();
    // An empty variable counts as unset, as in `resolve`.
    given
        || TARGET_VARS
            .iter()
            .any(|name| var(name).is_some_and(|v| !v.is_empty()))
}

/// See [`ConnSettings::resolve`].
pub fn resolve(
    flags: &Flags,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<ConnSettings, Error> {
    let database_url = var("DATABASE_URL").filter(|v| !v.is_empty());
    let from_url = source(Source::DatabaseUrl, database_url.as_deref())?;
    let from_d = source(Source::Dbname, flags.dbname.as_deref())?;
    let mut given = Params::default();
    given.flag("host", "-h/--host", flags.host.clone());
    given.flag("port", "-p/--port", flags.port.clone());
    given.flag("user", "-U/--username", flags.user.clone());
    given.flag(
        "connect_timeout",
        "--connect-timeout",
        flags
            .connect_timeout
            .map(|t| humantime::format_duration(t).to_string()),
    );
    let given = given.over(from_d).over(from_url);
    let env = Params::from_env(var);
    // The service named by the stronger sources, else PGSERVICE; its values come between.
    let service = given
        .value("service")
        .or(env.value("service"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let params = match service {
        Some(name) => given
            .over(service::lookup(&name, var).map_err(usage)?)
            .over(env),
        None => given.over(env),
    };
    keywords::check(&params).map_err(usage)?;
    build(&params, flags.prompt, var, database_url.as_deref(), flags)
}

/// The settings held by DATABASE_URL or `-d` (a URL, a conninfo string or a database name);
/// a malformed one is a usage error naming the source.
fn source(source: Source, text: Option<&str>) -> Result<Params, Error> {
    text.map_or(Ok(Params::default()), |text| {
        Params::from_dbname_arg(text, source.clone()).map_err(|e| usage(format!("{source}: {e}")))
    })
}

/// A setting's value parsed by `parse`, with a usage error naming where it came from.
fn typed<T>(
    params: &Params,
    key: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, Error> {
    match params.get(key).filter(|s| !s.value.is_empty()) {
        Some(Setting { value, source }) => parse(value)
            .map(Some)
            .map_err(|e| usage(format!("{source}: {e}"))),
        None => Ok(None),
    }
}

fn build(
    p: &Params,
    prompt: bool,
    var: &impl Fn(&str) -> Option<String>,
    database_url: Option<&str>,
    flags: &Flags,
) -> Result<ConnSettings, Error> {
    let user = p
        .value("user")
        .filter(|u| !u.is_empty())
        .map_or_else(os_user, str::to_string);
    let database = p
        .value("dbname")
        .filter(|d| !d.is_empty())
        .map_or_else(|| user.clone(), str::to_string);
    let hosts = host_list(p)?;
    let attrs = typed(p, "target_session_attrs", |v| v.parse())?;
    let shuffle = typed(p, "load_balance_hosts", |v| match v {
        "disable" => Ok(false),
        "random" => Ok(true),
        _ => Err(format!(
            "load_balance_hosts {v:?} is not one of disable, random"
        )),
    })?
    .unwrap_or(false);
    let timeout = match typed(p, "connect_timeout", parse_seconds)? {
        // 0 means no limit, as in libpq.
        Some(t) if t.is_zero() => None,
        Some(t) => Some(t),
        None => Some(DEFAULT_CONNECT_TIMEOUT),
    };
    let application_name = ["application_name", "fallback_application_name"]
        .into_iter()
        .find_map(|key| p.value(key).filter(|v| !v.is_empty()))
        .unwrap_or("pgpubsub");
    let mut base = PgConnectOptions::new_without_pgpass()
        .username(&user)
        .database(&database)
        .ssl_mode(typed(p, "sslmode", parse_sslmode)?.unwrap_or(PgSslMode::Prefer))
        .application_name(application_name);
    if let Some(cert) = p.value("sslrootcert").filter(|v| !v.is_empty()) {
        base = base.ssl_root_cert(cert);
    }
    // sslcertmode=disable: never send a client certificate.
    if !p
        .value("sslcertmode")
        .is_some_and(|m| m.eq_ignore_ascii_case("disable"))
    {
        if let Some(cert) = p.value("sslcert").filter(|v| !v.is_empty()) {
            base = base.ssl_client_cert(cert);
        }
        if let Some(key) = p.value("sslkey").filter(|v| !v.is_empty()) {
            base = base.ssl_client_key(key);
        }
    }
    let runtime = typed(p, "options", run_time_options)?.unwrap_or_default();
    let from_env = RUNTIME_VARS.iter().filter_map(|(name, param)| {
        Some((param.to_string(), var(name).filter(|v| !v.is_empty())?))
    });
    let runtime: Vec<(String, String)> = runtime.into_iter().chain(from_env).collect();
    if !runtime.is_empty() {
        base = base.options(runtime);
    }

    let given_password = if prompt {
        Some((prompt::password(&user)?, PasswordSource::Prompt))
    } else {
        // An empty password is none, as in libpq: the password file is read, and a server that
        // wants one is told none was supplied (an empty `password=` still hides PGPASSWORD).
        p.value("password")
            .filter(|pw| !pw.is_empty())
            .map(|pw| (pw.to_string(), PasswordSource::Given))
    };
    let passfile = p
        .value("passfile")
        .filter(|f| !f.is_empty())
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|home| Path::new(&home).join(".pgpass")));
    let candidates = hosts
        .into_iter()
        .map(|host| {
            let (password, source) = match &given_password {
                Some((password, source)) => (Some(password.clone()), *source),
                None => {
                    let lookup = pgpass::Lookup {
                        host: &host.name,
                        port: host.port,
                        dbname: &database,
                        user: &user,
                    };
                    match passfile
                        .as_deref()
                        .and_then(|file| pgpass::find(file, &lookup, error::warn))
                    {
                        Some(found) => (Some(found), PasswordSource::PassFile),
                        None => (None, PasswordSource::None),
                    }
                }
            };
            let mut options = base.clone().port(host.port);
            let connect_to = host.addr.as_deref().unwrap_or(&host.name);
            options = if connect_to.starts_with('/') {
                options.socket(connect_to)
            } else {
                options.host(connect_to)
            };
            // Always set: sqlx reads PGPASSWORD by itself, which an empty `password=` must
            // hide as in libpq. For none it sends an empty one, so "" is none.
            options = options.password(password.as_deref().unwrap_or(""));
            Candidate {
                options,
                target: Target {
                    endpoint: host.endpoint(),
                    database: database.clone(),
                    user: user.clone(),
                },
                password: source,
            }
        })
        .collect();
    let choice = Choice {
        candidates: Vec::new(),
        attrs: attrs.unwrap_or(Attrs::Any),
        attrs_defaulted: false,
        shuffle,
        sources: sources(p, database_url, flags),
    };
    Ok(ConnSettings::from_candidates(candidates, timeout, choice))
}

/// For `--verbose`: every setting with its source, and the connection strings used, with
/// passwords redacted; one indented line each.
fn sources(p: &Params, database_url: Option<&str>, flags: &Flags) -> String {
    let mut text = String::new();
    for (key, Setting { value, source }) in p.iter() {
        let value = if key == "password" {
            "***".to_string()
        } else {
            params::quote_conninfo(value)
        };
        text.push_str(&format!("\n  {key}={value} from {source}"));
    }
    for (label, conn) in [
        ("DATABASE_URL=", database_url),
        ("--dbname ", flags.dbname.as_deref()),
    ] {
        if let Some(conn) = conn.filter(|t| t.contains('=') || params::is_url(t)) {
            text.push_str(&format!("\n  from {label}{}", params::redact(conn)));
        }
    }
    text
}

/// One host of the list: as named (for messages and the password file) and, with hostaddr,
/// the address actually connected to.
struct Host {
    name: String,
    addr: Option<String>,
    port: u16,
}

impl Host {
    fn endpoint(&self) -> String {
        let shown = match &self.addr {
            Some(addr) if !self.name.is_empty() && self.name != *addr => {
                return format!("{} ({}):{}", self.name, bracket(addr), self.port)
            }
            Some(addr) => addr,
            None => &self.name,
        };
        if shown.starts_with('/') {
            format!(
                "socket {}",
                Path::new(shown)
                    .join(format!(".s.PGSQL.{}", self.port))
                    .display()
            )
        } else {
            format!("{}:{}", bracket(shown), self.port)
        }
    }
}

/// An IPv6 address in brackets, so that its port stays readable.
fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// libpq's lists: `host` and `hostaddr` name the hosts (equally many when both are given),
/// `port` gives one port for all or one per host; an empty entry means the default.
fn host_list(p: &Params) -> Result<Vec<Host>, Error> {
    let list = |key| {
        p.get(key).filter(|s| !s.value.is_empty()).map(|s| {
            (
                s.value.split(',').map(str::trim).collect::<Vec<_>>(),
                &s.source,
            )
        })
    };
    let names = list("host");
    let addrs = list("hostaddr");
    let count = match (&names, &addrs) {
        (Some((n, _)), Some((a, source))) if n.len() != a.len() => {
            return Err(usage(format!(
                "{source}: could not match {} host names to {} hostaddr values",
                n.len(),
                a.len()
            )))
        }
        (Some((n, _)), _) => n.len(),
        (None, Some((a, _))) => a.len(),
        (None, None) => 1,
    };
    let ports: Vec<u16> = match list("port") {
        None => vec![5432; count],
        Some((ports, source)) => {
            if ports.len() != 1 && ports.len() != count {
                return Err(usage(format!(
                    "{source}: could not match {} port numbers to {count} hosts",
                    ports.len()
                )));
            }
            let parsed = ports
                .iter()
                .map(|p| match *p {
                    "" => Ok(5432),
                    p => parse_port(p).map_err(|e| usage(format!("{source}: {e}"))),
                })
                .collect::<Result<Vec<u16>, Error>>()?;
            if parsed.len() == 1 {
                vec![parsed[0]; count]
            } else {
                parsed
            }
        }
    };
    Ok((0..count)
        .map(|i| {
            let port = ports[i];
            let addr = addrs
                .as_ref()
                .map(|(a, _)| a[i].to_string())
                .filter(|a| !a.is_empty());
            let name = names
                .as_ref()
                .map(|(n, _)| n[i].to_string())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| {
                    if addr.is_some() {
                        String::new()
                    } else {
                        default_host(port)
                    }
                });
            Host { name, addr, port }
        })
        .collect())
}

/// A port as libpq reads one (an integer, then 1 to 65535), refused in libpq's words.
fn parse_port(text: &str) -> Result<u16, String> {
    let number: i32 = text
        .trim()
        .parse()
        .map_err(|_| format!("invalid integer value \"{text}\" for connection option \"port\""))?;
    u16::try_from(number)
        .ok()
        .filter(|&p| p != 0)
        .ok_or_else(|| format!("invalid port number: \"{text}\""))
}

fn parse_sslmode(text: &str) -> Result<PgSslMode, String> {
    text.parse().map_err(|_| {
        format!("sslmode {text:?} is not one of disable, allow, prefer, require, verify-ca, verify-full")
    })
}

/// libpq's connect_timeout: whole seconds, where zero or a negative number means wait forever
/// (kept as zero, which is what `--connect-timeout 0` gives too). A humantime value ("5s") is
/// accepted as well since that is what `--connect-timeout` takes.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    match text.parse::<i64>() {
        Ok(secs) => Ok(Duration::from_secs(u64::try_from(secs).unwrap_or(0))),
        Err(_) => humantime::parse_duration(text)
            .map_err(|_| format!("connect_timeout {text:?} is not a number of seconds")),
    }
}

/// The run-time parameters of libpq's `options` (`-c name=value`, `-cname=value` or
/// `--name=value`, separated by spaces; a backslash escapes the next character).
fn run_time_options(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => word.extend(chars.next()),
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut settings = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let setting = if word == "-c" {
            words.next().unwrap_or_default()
        } else if let Some(rest) = word.strip_prefix("--").or(word.strip_prefix("-c")) {
            rest.to_string()
        } else {
            return Err(format!(
                "options: {word:?} is not understood (pgpubsub passes -c name=value and \
                 --name=value run-time parameters)"
            ));
        };
        let (name, value) = setting
            .split_once('=')
            .ok_or_else(|| format!("options: {setting:?} is not name=value"))?;
        settings.push((name.replace('-', "_"), value.to_string()));
    }
    Ok(settings)
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

    fn hosts(dbname: &str) -> Result<Vec<String>, Error> {
        let flags = Flags {
            dbname: Some(dbname.into()),
            ..Flags::default()
        };
        let settings = resolve(&flags, &env(&[]))?;
        Ok(settings
            .choice
            .candidates
            .iter()
            .map(|c| c.target.endpoint.clone())
            .collect())
    }

    #[test]
    fn nothing_said_means_no_target() {
        assert!(!target_given(&Flags::default(), &env(&[])));
        // Variables that only tune a connection do not pick a server.
        let tuning = [
            ("PGPASSWORD", "x"),
            ("PGAPPNAME", "a"),
            ("PGSSLMODE", "require"),
        ];
        assert!(!target_given(&Flags::default(), &env(&tuning)));
        // Nor does an empty variable.
        assert!(!target_given(&Flags::default(), &env(&[("PGHOST", "")])));
    }

    #[test]
    fn any_flag_or_target_variable_is_a_target() {
        let with = |f: fn(&mut Flags)| {
            let mut flags = Flags::default();
            f(&mut flags);
            target_given(&flags, &env(&[]))
        };
        assert!(with(|a| a.dbname = Some("db".into())));
        assert!(with(|a| a.host = Some("h".into())));
        assert!(with(|a| a.port = Some("5432".into())));
        assert!(with(|a| a.user = Some("u".into())));
        for name in TARGET_VARS {
            assert!(
                target_given(&Flags::default(), &env(&[(name, "x")])),
                "{name}"
            );
        }
    }

    #[test]
    fn host_and_port_lists_pair_up_as_in_libpq() {
        assert_eq!(
            hosts("host=a,b,/tmp/s port=1").unwrap(),
            ["a:1", "b:1", "socket /tmp/s/.s.PGSQL.1"]
        );
        assert_eq!(hosts("host=a,b port=1,").unwrap(), ["a:1", "b:5432"]);
        assert_eq!(
            hosts("postgres://a:7,[::1]:8/db").unwrap(),
            ["a:7", "[::1]:8"]
        );
        assert_eq!(
            hosts("host=db hostaddr=127.0.0.1 port=9").unwrap(),
            ["db (127.0.0.1):9"]
        );
        let err = hosts("host=a,b port=1,2,3").unwrap_err().to_string();
        assert!(err.contains("3 port numbers to 2 hosts"), "{err}");
        let err = hosts("host=a,b hostaddr=127.0.0.1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("2 host names to 1 hostaddr"), "{err}");
        let err = hosts("host=a port=x").unwrap_err().to_string();
        assert_eq!(
            err,
            "-d/--dbname: invalid integer value \"x\" for connection option \"port\""
        );
        let err = hosts("host=a port=70000").unwrap_err().to_string();
        assert_eq!(err, "-d/--dbname: invalid port number: \"70000\"");
    }

    #[test]
    fn options_become_run_time_parameters() {
        assert_eq!(
            run_time_options(r"-c search_path=x -cstatement_timeout=5s --lock-timeout=1\ s")
                .unwrap(),
            [
                ("search_path".to_string(), "x".to_string()),
                ("statement_timeout".into(), "5s".into()),
                ("lock_timeout".into(), "1 s".into())
            ]
        );
        assert!(run_time_options("-e").is_err());
    }

    #[test]
    fn connect_timeout_zero_or_negative_is_no_limit() {
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds("-1"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds(" 5 "), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("soon").is_err());
    }
}
