//! Connection parameters from each source (flags, a `-d` URL or conninfo string, DATABASE_URL,
//! the libpq environment), parsed into one shape so that precedence is a plain overlay:
//! a field set by a stronger source always wins, a field it leaves unset falls through.

use sqlx::postgres::PgSslMode;
use std::path::PathBuf;
use std::time::Duration;

/// Every connection setting pgpubsub understands; `None` means "this source did not say".
#[derive(Debug, Clone, Default)]
pub struct Params {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub dbname: Option<String>,
    pub sslmode: Option<PgSslMode>,
    pub sslrootcert: Option<PathBuf>,
    pub sslcert: Option<PathBuf>,
    pub sslkey: Option<PathBuf>,
    pub application_name: Option<String>,
    pub connect_timeout: Option<Duration>,
}

impl Params {
    /// Fill every field this source left unset from `weaker`.
    pub fn over(self, weaker: Params) -> Params {
        Params {
            host: self.host.or(weaker.host),
            port: self.port.or(weaker.port),
            user: self.user.or(weaker.user),
            password: self.password.or(weaker.password),
            dbname: self.dbname.or(weaker.dbname),
            sslmode: self.sslmode.or(weaker.sslmode),
            sslrootcert: self.sslrootcert.or(weaker.sslrootcert),
            sslcert: self.sslcert.or(weaker.sslcert),
            sslkey: self.sslkey.or(weaker.sslkey),
            application_name: self.application_name.or(weaker.application_name),
            connect_timeout: self.connect_timeout.or(weaker.connect_timeout),
        }
    }

    /// Set one libpq keyword (shared by URL query parameters and conninfo strings, so both
    /// accept exactly the same words). Errors name the keyword, never its value: it may be a
    /// password.
    fn set(&mut self, key: &str, value: String) -> Result<(), String> {
        match key {
            "host" | "hostaddr" => self.host = Some(value),
            "port" => {
                self.port = Some(parse_port(&value).ok_or(format!("{key} is not a port number"))?)
            }
            "user" => self.user = Some(value),
            "password" => self.password = Some(value),
            "dbname" => self.dbname = Some(value),
            "sslmode" => self.sslmode = Some(parse_sslmode(&value)?),
            "sslrootcert" => self.sslrootcert = Some(value.into()),
            "sslcert" => self.sslcert = Some(value.into()),
            "sslkey" => self.sslkey = Some(value.into()),
            "application_name" | "fallback_application_name" => self.application_name = Some(value),
            "connect_timeout" => self.connect_timeout = Some(parse_seconds(&value)?),
            _ => return Err(format!("unknown connection parameter {key:?}")),
        }
        Ok(())
    }

    /// The libpq environment variables. Empty values count as unset, as in libpq.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Params, String> {
        const VARS: [(&str, &str); 12] = [
            ("PGHOSTADDR", "hostaddr"),
            ("PGHOST", "host"),
            ("PGPORT", "port"),
            ("PGUSER", "user"),
            ("PGPASSWORD", "password"),
            ("PGDATABASE", "dbname"),
            ("PGSSLMODE", "sslmode"),
            ("PGSSLROOTCERT", "sslrootcert"),
            ("PGSSLCERT", "sslcert"),
            ("PGSSLKEY", "sslkey"),
            ("PGAPPNAME", "application_name"),
            ("PGCONNECT_TIMEOUT", "connect_timeout"),
        ];
        let mut params = Params::default();
        // PGHOSTADDR comes first and must not be overwritten by PGHOST.
        for (name, key) in VARS.iter().rev() {
            if let Some(value) = var(name).filter(|v| !v.is_empty()) {
                params.set(key, value).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Ok(params)
    }

    /// What `-d` (or DATABASE_URL) holds: a URL, a conninfo string, or a bare database name.
    pub fn from_dbname_arg(arg: &str) -> Result<Params, String> {
        if is_url(arg) {
            Params::from_url(arg)
        } else if arg.contains('=') {
            Params::from_conninfo(arg)
        } else {
            Ok(Params {
                dbname: Some(arg.to_string()),
                ..Params::default()
            })
        }
    }

    /// A `postgres://user:password@host:port/dbname?key=value` URL.
    pub fn from_url(text: &str) -> Result<Params, String> {
        let url = url::Url::parse(text).map_err(|e| format!("not a valid URL ({e})"))?;
        let mut params = Params::default();
        match url.host() {
            Some(url::Host::Ipv6(addr)) => params.host = Some(addr.to_string()),
            Some(host) => {
                let host = decode(&host.to_string())?;
                params.host = Some(host).filter(|h| !h.is_empty());
            }
            None => {}
        }
        params.port = url.port();
        if !url.username().is_empty() {
            params.user = Some(decode(url.username())?);
        }
        if let Some(password) = url.password() {
            params.password = Some(decode(password)?);
        }
        let path = url.path().trim_start_matches('/');
        if !path.is_empty() {
            params.dbname = Some(decode(path)?);
        }
        for (key, value) in url.query_pairs() {
            params.set(&key, value.into_owned())?;
        }
        Ok(params)
    }

    /// A libpq `key=value key='quoted value'` string.
    pub fn from_conninfo(text: &str) -> Result<Params, String> {
        let mut params = Params::default();
        for (key, value) in conninfo_pairs(text)? {
            params.set(&key, value)?;
        }
        Ok(params)
    }
}

/// Whether `text` is a connection URL rather than a name or conninfo string.
pub fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

fn decode(text: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| "percent-encoded part is not UTF-8".to_string())
}

fn parse_port(text: &str) -> Option<u16> {
    text.trim().parse().ok().filter(|&p| p != 0)
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

/// Split a conninfo string into keyword/value pairs, following libpq's quoting rules: values
/// may be single-quoted, and inside quotes `\'` and `\\` stand for `'` and `\`.
fn conninfo_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(pairs);
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && !c.is_whitespace())).collect();
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.next() != Some('=') {
            return Err(format!("missing \"=\" after {key:?} in connection string"));
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut value = String::new();
        if chars.next_if_eq(&'\'').is_some() {
            loop {
                match chars.next() {
                    Some('\\') => value.extend(chars.next()),
                    Some('\'') => break,
                    Some(c) => value.push(c),
                    None => return Err(format!("unterminated quoted value for {key:?}")),
                }
            }
        } else {
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                if c == '\\' {
                    value.extend(chars.next());
                } else {
                    value.push(c);
                }
            }
        }
        pairs.push((key, value));
    }
}

/// `text` (a URL or conninfo string) with any password replaced by `***`, for messages.
pub fn redact(text: &str) -> String {
    if is_url(text) {
        return match url::Url::parse(text) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k == "password" {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                if !pairs.is_empty() {
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
            Err(_) => "(unparsable URL)".to_string(),
        };
    }
    match conninfo_pairs(text) {
        Ok(pairs) => pairs
            .into_iter()
            .map(|(k, v)| {
                let v = if k == "password" {
                    "***".to_string()
                } else {
                    v
                };
                format!("{k}={}", quote_conninfo(&v))
            })
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) if text.contains('=') => "(unparsable connection string)".to_string(),
        Err(_) => text.to_string(),
    }
}

fn quote_conninfo(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_string();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_fields_and_socket_host() {
        let p = Params::from_url("postgres://al%40ice:s%3Acret@%2Ftmp%2Fsock:5433/my%20db?sslmode=require&application_name=x").unwrap();
        assert_eq!(p.user.as_deref(), Some("al@ice"));
        assert_eq!(p.password.as_deref(), Some("s:cret"));
        assert_eq!(p.host.as_deref(), Some("/tmp/sock"));
        assert_eq!(p.port, Some(5433));
        assert_eq!(p.dbname.as_deref(), Some("my db"));
        assert!(matches!(p.sslmode, Some(PgSslMode::Require)));
        assert_eq!(p.application_name.as_deref(), Some("x"));
    }

    #[test]
    fn url_ipv6_and_query_host() {
        let p = Params::from_url("postgresql://[::1]:6000/db").unwrap();
        assert_eq!(p.host.as_deref(), Some("::1"));
        let p = Params::from_url("postgresql:///db?host=/var/run/postgresql&port=5439").unwrap();
        assert_eq!(p.host.as_deref(), Some("/var/run/postgresql"));
        assert_eq!(p.port, Some(5439));
        assert!(Params::from_url("postgres://h/db?bogus=1").is_err());
    }

    #[test]
    fn conninfo_quoting() {
        let p = Params::from_conninfo(r"host=localhost  port = 5433 password='a b\'c\\' dbname=x")
            .unwrap();
        assert_eq!(p.host.as_deref(), Some("localhost"));
        assert_eq!(p.port, Some(5433));
        assert_eq!(p.password.as_deref(), Some(r"a b'c\"));
        assert_eq!(p.dbname.as_deref(), Some("x"));
        assert!(Params::from_conninfo("host").is_err());
        assert!(Params::from_conninfo("password='open").is_err());
    }

    #[test]
    fn overlay_prefers_stronger() {
        let strong = Params {
            port: Some(1),
            ..Params::default()
        };
        let weak = Params {
            port: Some(2),
            user: Some("u".into()),
            ..Params::default()
        };
        let p = strong.over(weak);
        assert_eq!((p.port, p.user.as_deref()), (Some(1), Some("u")));
    }

    #[test]
    fn env_hostaddr_beats_host_and_bad_port_is_named() {
        let env = |k: &str| match k {
            "PGHOST" => Some("h".to_string()),
            "PGHOSTADDR" => Some("127.0.0.2".to_string()),
            "PGCONNECT_TIMEOUT" => Some("3".to_string()),
            _ => None,
        };
        let p = Params::from_env(env).unwrap();
        assert_eq!(p.host.as_deref(), Some("127.0.0.2"));
        assert_eq!(p.connect_timeout, Some(Duration::from_secs(3)));
        let err = Params::from_env(|k| (k == "PGPORT").then(|| "x".to_string())).unwrap_err();
        assert!(err.starts_with("PGPORT"), "{err}");
    }

    #[test]
    fn connect_timeout_zero_or_negative_is_no_limit() {
        assert_eq!(parse_seconds("0"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds("-1"), Ok(Duration::ZERO));
        assert_eq!(parse_seconds(" 5 "), Ok(Duration::from_secs(5)));
        assert_eq!(parse_seconds("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_seconds("soon").is_err());
    }

    #[test]
    fn redaction_hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert!(!redact("postgres://u@h/db?password=secret").contains("secret"));
        assert_eq!(redact("host=h password='se cret'"), "host=h password=***");
        assert_eq!(redact("mydb"), "mydb");
    }
}
