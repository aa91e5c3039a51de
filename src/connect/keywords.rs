//! Every libpq connection keyword (PostgreSQL 18's list) with its environment variable, and
//! whether pgpubsub honours it. A setting pgpubsub cannot honour is refused by name with the
//! reason, never silently ignored: a user who wrote `sslcrl=...` or `channel_binding=require`
//! into a shared service file is relying on it.

use super::params::Params;

/// One libpq keyword.
pub struct Keyword {
    pub name: &'static str,
    /// The environment variable libpq reads it from, if any.
    pub env: Option<&'static str>,
    pub support: Support,
}

/// How far pgpubsub honours a keyword.
pub enum Support {
    /// Honoured as libpq does.
    Honoured,
    /// Honoured for these values (any case; an empty value means "unset" and is always fine);
    /// any other value is refused with the reason.
    Values(&'static [&'static str], &'static str),
    /// Refused whenever it is set to anything but the empty string.
    Refused(&'static str),
}

use Support::{Honoured, Refused, Values};

const KEEPALIVES: &str = "pgpubsub cannot set TCP keepalive options on its connections; \
                          `listen --keepalive` checks an idle connection with a query instead";
const GSS: &str = "pgpubsub has no Kerberos/GSSAPI support";
const PROTOCOL: &str = "pgpubsub's PostgreSQL driver (sqlx) speaks protocol version 3.0 only \
                        (3.2, PostgreSQL 18's, adds longer cancel keys)";
const OAUTH: &str = "pgpubsub's PostgreSQL driver (sqlx) cannot authenticate with OAuth";
const SCRAM_KEYS: &str = "pgpubsub's PostgreSQL driver (sqlx) cannot authenticate with SCRAM keys \
                          passed through (postgres_fdw's use_scram_passthrough); give the password";

/// PostgreSQL 18's connection keywords, in libpq's order.
pub const ALL: &[Keyword] = &[
    kw("service", Some("PGSERVICE"), Honoured),
    kw("user", Some("PGUSER"), Honoured),
    kw("password", Some("PGPASSWORD"), Honoured),
    kw("passfile", Some("PGPASSFILE"), Honoured),
    kw(
        "channel_binding",
        Some("PGCHANNELBINDING"),
        Values(
            &["disable", "prefer"],
            "pgpubsub's PostgreSQL driver (sqlx) cannot do SCRAM channel binding",
        ),
    ),
    kw("connect_timeout", Some("PGCONNECT_TIMEOUT"), Honoured),
    kw("dbname", Some("PGDATABASE"), Honoured),
    kw("host", Some("PGHOST"), Honoured),
    kw("hostaddr", Some("PGHOSTADDR"), Honoured),
    kw("port", Some("PGPORT"), Honoured),
    kw(
        "client_encoding",
        Some("PGCLIENTENCODING"),
        Values(
            &["UTF8", "UTF-8", "unicode", "auto"],
            "pgpubsub always talks UTF8 to the server (payloads are UTF-8 text)",
        ),
    ),
    kw("options", Some("PGOPTIONS"), Honoured),
    kw("application_name", Some("PGAPPNAME"), Honoured),
    kw("fallback_application_name", None, Honoured),
    kw("keepalives", None, Values(&["0"], KEEPALIVES)),
    kw("keepalives_idle", None, Refused(KEEPALIVES)),
    kw("keepalives_interval", None, Refused(KEEPALIVES)),
    kw("keepalives_count", None, Refused(KEEPALIVES)),
    kw("tcp_user_timeout", None, Refused(KEEPALIVES)),
    kw(
        "replication",
        None,
        Values(
            &["0", "false", "off", "no"],
            "a replication connection cannot LISTEN or NOTIFY",
        ),
    ),
    kw(
        "gssencmode",
        Some("PGGSSENCMODE"),
        Values(&["disable", "prefer"], GSS),
    ),
    kw("sslmode", Some("PGSSLMODE"), Honoured),
    kw(
        "sslnegotiation",
        Some("PGSSLNEGOTIATION"),
        Values(
            &["postgres"],
            "pgpubsub's driver starts TLS the PostgreSQL way only (no direct TLS)",
        ),
    ),
    kw(
        "sslcompression",
        Some("PGSSLCOMPRESSION"),
        Values(&["0"], "TLS compression is insecure and unsupported"),
    ),
    kw("sslcert", Some("PGSSLCERT"), Honoured),
    kw("sslkey", Some("PGSSLKEY"), Honoured),
    kw(
        "sslcertmode",
        Some("PGSSLCERTMODE"),
        Values(
            &["allow", "disable"],
            "pgpubsub cannot check that the server asked for a client certificate",
        ),
    ),
    kw(
        "sslpassword",
        None,
        Refused(
            "pgpubsub cannot read an encrypted client key; decrypt it \
             (openssl pkey -in KEY -out PLAIN) and protect the file instead",
        ),
    ),
    kw("sslrootcert", Some("PGSSLROOTCERT"), Honoured),
    kw(
        "sslcrl",
        Some("PGSSLCRL"),
        Refused("pgpubsub's TLS library (rustls, via sqlx) is given no revocation lists"),
    ),
    kw(
        "sslcrldir",
        Some("PGSSLCRLDIR"),
        Refused("pgpubsub's TLS library (rustls, via sqlx) is given no revocation lists"),
    ),
    kw(
        "sslsni",
        Some("PGSSLSNI"),
        Values(
            &["1"],
            "pgpubsub's TLS library always sends the server name (SNI)",
        ),
    ),
    kw(
        "requirepeer",
        Some("PGREQUIREPEER"),
        Refused("pgpubsub cannot check the server process's OS user on a Unix socket"),
    ),
    kw(
        "min_protocol_version",
        Some("PGMINPROTOCOLVERSION"),
        Values(&["3.0"], PROTOCOL),
    ),
    kw(
        "max_protocol_version",
        Some("PGMAXPROTOCOLVERSION"),
        Values(&["3.0", "3.2", "latest"], PROTOCOL),
    ),
    kw(
        "ssl_min_protocol_version",
        Some("PGSSLMINPROTOCOLVERSION"),
        Values(
            &["TLSv1", "TLSv1.1", "TLSv1.2"],
            "pgpubsub's TLS library negotiates TLSv1.2 or TLSv1.3 and cannot be limited further",
        ),
    ),
    kw(
        "ssl_max_protocol_version",
        Some("PGSSLMAXPROTOCOLVERSION"),
        Values(
            &["TLSv1.3"],
            "pgpubsub's TLS library negotiates TLSv1.2 or TLSv1.3 and cannot be limited further",
        ),
    ),
    kw("krbsrvname", Some("PGKRBSRVNAME"), Refused(GSS)),
    kw("gsslib", Some("PGGSSLIB"), Refused(GSS)),
    kw(
        "gssdelegation",
        Some("PGGSSDELEGATION"),
        Values(&["0"], GSS),
    ),
    kw(
        "require_auth",
        Some("PGREQUIREAUTH"),
        Refused("pgpubsub cannot restrict which authentication methods the server may ask for"),
    ),
    kw(
        "target_session_attrs",
        Some("PGTARGETSESSIONATTRS"),
        Honoured,
    ),
    kw("load_balance_hosts", Some("PGLOADBALANCEHOSTS"), Honoured),
    kw("scram_client_key", None, Refused(SCRAM_KEYS)),
    kw("scram_server_key", None, Refused(SCRAM_KEYS)),
    kw("oauth_issuer", None, Refused(OAUTH)),
    kw("oauth_client_id", None, Refused(OAUTH)),
    kw("oauth_client_secret", None, Refused(OAUTH)),
    kw("oauth_scope", None, Refused(OAUTH)),
    kw(
        "sslkeylogfile",
        None,
        Refused("pgpubsub's TLS library (rustls, via sqlx) is given no key log file"),
    ),
];

const fn kw(name: &'static str, env: Option<&'static str>, support: Support) -> Keyword {
    Keyword { name, env, support }
}

/// The keyword called `name`.
pub fn find(name: &str) -> Option<&'static Keyword> {
    ALL.iter().find(|k| k.name == name)
}

/// Refuse, naming the keyword and where it was set, any setting pgpubsub cannot honour.
pub fn check(params: &Params) -> Result<(), String> {
    for (name, setting) in params.iter() {
        let Some(keyword) = find(name) else { continue };
        let value = setting.value.trim();
        if value.is_empty() {
            continue;
        }
        match keyword.support {
            Honoured => {}
            Values(accepted, _) if accepted.iter().any(|a| a.eq_ignore_ascii_case(value)) => {}
            Values(_, reason) => {
                return Err(format!(
                    "{}: {name}={value} is not supported: {reason}",
                    setting.source
                ))
            }
            Refused(reason) => {
                return Err(format!(
                    "{}: {name} is not supported: {reason}",
                    setting.source
                ))
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connect::params::Source;

    #[test]
    fn refusals_name_the_keyword_and_source_but_no_secret() {
        let mut p = Params::default();
        p.set("sslpassword", "hunter2".into(), Source::Dbname)
            .unwrap();
        let err = check(&p).unwrap_err();
        assert!(
            err.contains("sslpassword") && err.contains("-d/--dbname"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let mut p = Params::default();
        p.set(
            "channel_binding",
            "require".into(),
            Source::Env("PGCHANNELBINDING"),
        )
        .unwrap();
        let err = check(&p).unwrap_err();
        assert!(
            err.starts_with("PGCHANNELBINDING: channel_binding=require"),
            "{err}"
        );
        let mut p = Params::default();
        p.set("keepalives", "0".into(), Source::Dbname).unwrap();
        p.set("sslcrl", "".into(), Source::Dbname).unwrap();
        check(&p).unwrap();
    }

    #[test]
    fn readme_lists_every_keyword() {
        let readme = include_str!("../../README.md");
        for keyword in ALL {
            let row = format!("| `{}` |", keyword.name);
            assert!(
                readme.contains(&row),
                "README lacks a row for {}",
                keyword.name
            );
            if let Some(env) = keyword.env {
                assert!(readme.contains(&format!("`{env}`")), "README lacks {env}");
            }
        }
    }
}
