//! Connection parameters from each source (flags, `-d`, DATABASE_URL, a service file, the
//! libpq environment), read as libpq keywords with the source of each value, so that
//! precedence is a plain overlay (a keyword set by a stronger source wins, one it leaves unset
//! falls through) and `-v` can say where every setting came from.

use super::keywords::{self, Keyword};
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

/// Where one setting came from, as `-v` and error messages name it.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A command-line flag such as `-h/--host`.
    Flag(&'static str),
    /// `-d/--dbname` (a URL, a conninfo string or a database name).
    Dbname,
    /// The `DATABASE_URL` environment variable.
    DatabaseUrl,
    /// A line of a service file.
    Service { file: PathBuf, line: usize },
    /// A libpq environment variable.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(flag) => f.write_str(flag),
            Source::Dbname => f.write_str("-d/--dbname"),
            Source::DatabaseUrl => f.write_str("DATABASE_URL"),
            Source::Service { file, line } => {
                write!(f, "service file {}, line {line}", file.display())
            }
            Source::Env(name) => f.write_str(name),
        }
    }
}

/// One keyword's value and where it came from.
#[derive(Debug, Clone)]
pub struct Setting {
    pub value: String,
    pub source: Source,
}

/// libpq keywords with their values, from one source or, after [`Params::over`], from all.
#[derive(Debug, Clone, Default)]
pub struct Params(BTreeMap<&'static str, Setting>);

impl Params {
    /// The setting of `keyword`, if any source gave one.
    pub fn get(&self, keyword: &str) -> Option<&Setting> {
        self.0.get(keyword)
    }

    /// The value of `keyword`, if any source gave one.
    pub fn value(&self, keyword: &str) -> Option<&str> {
        self.get(keyword).map(|s| s.value.as_str())
    }

    /// Every setting, in keyword order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Setting)> {
        self.0.iter().map(|(k, s)| (*k, s))
    }

    /// Fill every keyword this source left unset from `weaker`.
    pub fn over(mut self, weaker: Params) -> Params {
        for (key, setting) in weaker.0 {
            self.0.entry(key).or_insert(setting);
        }
        self
    }

    /// Set one libpq keyword. An unknown keyword is an error naming it, never its value: it
    /// may be a password.
    pub fn set(&mut self, key: &str, value: String, source: Source) -> Result<(), String> {
        let keyword =
            keywords::find(key).ok_or_else(|| format!("unknown connection parameter {key:?}"))?;
        self.0.insert(keyword.name, Setting { value, source });
        Ok(())
    }

    /// A flag's value (flags beat everything else).
    pub fn flag(&mut self, key: &'static str, flag: &'static str, value: Option<String>) {
        if let Some(value) = value {
            self.0.insert(
                key,
                Setting {
                    value,
                    source: Source::Flag(flag),
                },
            );
        }
    }

    /// The libpq environment variables (every keyword's, as listed in the keyword table).
    /// Empty values count as unset, as in libpq.
    pub fn from_env(var: &impl Fn(&str) -> Option<String>) -> Params {
        let mut params = Params::default();
        for Keyword { name, env, .. } in keywords::ALL {
            if let Some(env) = env {
                if let Some(value) = var(env).filter(|v| !v.is_empty()) {
                    params.0.insert(
                        name,
                        Setting {
                            value,
                            source: Source::Env(env),
                        },
                    );
                }
            }
        }
        params
    }

    /// What `-d` (or DATABASE_URL) holds: a URL, a conninfo string, or a bare database name.
    pub fn from_dbname_arg(arg: &str, source: Source) -> Result<Params, String> {
        let pairs = if is_url(arg) {
            url_pairs(arg)?
        } else if arg.contains('=') {
            conninfo_pairs(arg)?
        } else {
            vec![("dbname".to_string(), arg.to_string())]
        };
        let mut params = Params::default();
        for (key, value) in pairs {
            params.set(&key, value, source.clone())?;
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

/// The keywords of a `postgresql://[user[:password]@][host[:port][,...]][/dbname][?k=v&...]`
/// URL, read as libpq reads it: several hosts become comma-separated `host` and `port`
/// lists, a bracketed host is an IPv6 address, and every part is percent-decoded (so a Unix
/// socket directory can be a host, `%2Ftmp`).
fn url_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
    let rest = text.split_once("://").map_or(text, |(_, rest)| rest);
    let mut pairs = Vec::new();
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let hostspec = match authority.rsplit_once('@') {
        Some((userspec, hostspec)) => {
            let (user, password) = match userspec.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userspec, None),
            };
            if !user.is_empty() {
                pairs.push(("user".into(), decode(user)?));
            }
            if let Some(password) = password {
                pairs.push(("password".into(), decode(password)?));
            }
            hostspec
        }
        None => authority,
    };
    if !hostspec.is_empty() {
        let (mut hosts, mut ports) = (Vec::new(), Vec::new());
        for spec in hostspec.split(',') {
            let (host, port) = if let Some(v6) = spec.strip_prefix('[') {
                let (addr, after) = v6
                    .split_once(']')
                    .ok_or("unterminated IPv6 address in URL (missing \"]\")")?;
                let port = match after {
                    "" => "",
                    _ => after
                        .strip_prefix(':')
                        .ok_or_else(|| format!("unexpected {after:?} after IPv6 address in URL"))?,
                };
                (addr.to_string(), port)
            } else {
                let (host, port) = spec.split_once(':').unwrap_or((spec, ""));
                (decode(host)?, port)
            };
            hosts.push(host);
            ports.push(decode(port)?);
        }
        if hosts.iter().any(|h| !h.is_empty()) {
            pairs.push(("host".into(), hosts.join(",")));
        }
        if ports.iter().any(|p| !p.is_empty()) {
            pairs.push(("port".into(), ports.join(",")));
        }
    }
    if !path.is_empty() {
        pairs.push(("dbname".into(), decode(path)?));
    }
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!(
                "missing \"=\" after {:?} in the URL's query (write {0}=VALUE)",
                decode(pair)?
            ));
        };
        let (key, value) = (decode(key)?, decode(value)?);
        // As libpq: the JDBC spelling `ssl=true` means sslmode=require.
        if key == "ssl" && value == "true" {
            pairs.push(("sslmode".into(), "require".into()));
        } else {
            pairs.push((key, value));
        }
    }
    Ok(pairs)
}

/// Split a conninfo string into keyword/value pairs, following libpq's quoting rules: values
/// may be single-quoted, and inside quotes `\'` and `\\` stand for `'` and `\`.
pub fn conninfo_pairs(text: &str) -> Result<Vec<(String, String)>, String> {
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
        return redact_url(text);
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

/// A URL with the password of its user part and any `password=` query value replaced.
fn redact_url(text: &str) -> String {
    let (scheme, rest) = text.split_once("://").unwrap_or(("", text));
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match rest.split_once('/') {
        Some((authority, path)) => (authority, Some(path)),
        None => (rest, None),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userspec, hosts)) => match userspec.split_once(':') {
            Some((user, _)) => format!("{user}:***@{hosts}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let mut out = format!("{scheme}://{authority}");
    if let Some(path) = path {
        out.push('/');
        out.push_str(path);
    }
    if let Some(query) = query {
        let query: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) if key == "password" => format!("{key}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&query.join("&"));
    }
    out
}

/// A value as conninfo would need it written, quoted when it has to be.
pub fn quote_conninfo(value: &str) -> String {
    if !value.is_empty() && !value.contains(|c: char| c.is_whitespace() || c == '\'' || c == '\\') {
        return value.to_string();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Params {
        Params::from_dbname_arg(text, Source::Dbname).unwrap()
    }

    #[test]
    fn url_fields_and_socket_host() {
        let p = parse("postgres://al%40ice:s%3Acret@%2Ftmp%2Fsock:5433/my%20db?sslmode=require&application_name=x");
        assert_eq!(p.value("user"), Some("al@ice"));
        assert_eq!(p.value("password"), Some("s:cret"));
        assert_eq!(p.value("host"), Some("/tmp/sock"));
        assert_eq!(p.value("port"), Some("5433"));
        assert_eq!(p.value("dbname"), Some("my db"));
        assert_eq!(p.value("sslmode"), Some("require"));
        assert_eq!(p.value("application_name"), Some("x"));
    }

    #[test]
    fn url_ipv6_query_host_and_unknown_keyword() {
        let p = parse("postgresql://[::1]:6000/db");
        assert_eq!(p.value("host"), Some("::1"));
        assert_eq!(p.value("port"), Some("6000"));
        let p = parse("postgresql:///db?host=/var/run/postgresql&port=5439");
        assert_eq!(p.value("host"), Some("/var/run/postgresql"));
        assert_eq!(p.value("port"), Some("5439"));
        let err = Params::from_dbname_arg("postgres://h/db?bogus=1", Source::Dbname).unwrap_err();
        assert!(err.contains("bogus"), "{err}");
        let err = Params::from_dbname_arg("postgres://h/db?sslmode", Source::Dbname).unwrap_err();
        assert!(
            err.contains("after \"sslmode\"") && !err.contains("Ok("),
            "{err}"
        );
    }

    #[test]
    fn url_with_several_hosts_becomes_lists() {
        let p = parse("postgres://u@a:5432,b:5433,[::1]/db?target_session_attrs=read-write");
        assert_eq!(p.value("host"), Some("a,b,::1"));
        assert_eq!(p.value("port"), Some("5432,5433,"));
        assert_eq!(p.value("target_session_attrs"), Some("read-write"));
        let p = parse("postgres://a,b/db");
        assert_eq!(p.value("host"), Some("a,b"));
        assert_eq!(p.value("port"), None);
        assert_eq!(p.value("service"), None);
        let p = parse("postgresql:///?service=prod");
        assert_eq!(p.value("service"), Some("prod"));
        assert_eq!(
            parse("postgres://h/?ssl=true").value("sslmode"),
            Some("require")
        );
    }

    #[test]
    fn conninfo_quoting() {
        let p = parse(r"host=localhost  port = 5433 password='a b\'c\\' dbname=x");
        assert_eq!(p.value("host"), Some("localhost"));
        assert_eq!(p.value("port"), Some("5433"));
        assert_eq!(p.value("password"), Some(r"a b'c\"));
        assert_eq!(p.value("dbname"), Some("x"));
        assert!(conninfo_pairs("host").is_err());
        assert!(conninfo_pairs("password='open").is_err());
    }

    #[test]
    fn overlay_prefers_stronger_and_keeps_sources() {
        let strong = parse("port=1");
        let mut weak = Params::default();
        weak.set("port", "2".into(), Source::Env("PGPORT")).unwrap();
        weak.set("user", "u".into(), Source::Env("PGUSER")).unwrap();
        let p = strong.over(weak);
        assert_eq!((p.value("port"), p.value("user")), (Some("1"), Some("u")));
        assert_eq!(p.get("port").unwrap().source, Source::Dbname);
        assert_eq!(p.get("user").unwrap().source, Source::Env("PGUSER"));
    }

    #[test]
    fn environment_reads_every_listed_variable() {
        let env = |k: &str| match k {
            "PGHOST" => Some("h".to_string()),
            "PGHOSTADDR" => Some("127.0.0.2".to_string()),
            "PGTARGETSESSIONATTRS" => Some("primary".to_string()),
            "PGOPTIONS" => Some(String::new()),
            _ => None,
        };
        let p = Params::from_env(&env);
        assert_eq!(p.value("host"), Some("h"));
        assert_eq!(p.value("hostaddr"), Some("127.0.0.2"));
        assert_eq!(p.value("target_session_attrs"), Some("primary"));
        assert_eq!(p.value("options"), None);
    }

    #[test]
    fn redaction_hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("postgres://u:secret@a:1,b:2/db?password=x&sslmode=require"),
            "postgres://u:***@a:1,b:2/db?password=***&sslmode=require"
        );
        assert_eq!(redact("host=h password='se cret'"), "host=h password=***");
        assert_eq!(redact("mydb"), "mydb");
    }
}
