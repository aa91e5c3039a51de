//! Connection failures that sqlx reports in its own terms (a protocol error with a module path,
//! a rustls certificate error, a short read), put in words a psql user can act on: what is
//! wrong and which setting addresses it. sqlx gives no structure for most of these, so the
//! protocol cases are recognised by its message text; TLS verification failures are the typed
//! rustls errors that sqlx passes through unchanged.

use rustls::CertificateError;
use std::time::{Duration, SystemTime};

/// What to say when the server answers, but not in PostgreSQL's protocol.
fn not_postgres(port: u16) -> String {
    format!(
        "the server did not answer like PostgreSQL (is another service listening on port {port}?)"
    )
}

/// libpq's words for a server that hangs up without a reply.
const CLOSED: &str =
    "server closed the connection unexpectedly (it probably stopped before or while processing the request)";

/// A protocol error raised while talking to whatever listens on `port`.
pub fn protocol(message: &str, port: u16) -> String {
    // sqlx appends "(module::path:line)"; that is for its developers, not for users.
    let message = message
        .rsplit_once(" (")
        .filter(|(_, tail)| tail.contains("::"))
        .map_or(message, |(head, _)| head);
    match message.strip_prefix("unexpected response from SSLRequest: ") {
        // The byte read was never filled: the server hung up instead of answering.
        Some("0x00") => CLOSED.into(),
        // Anything but PostgreSQL's one-byte S/N answer.
        Some(_) => not_postgres(port),
        None if message.starts_with("unknown message type")
            || message.starts_with("establish: unexpected message") =>
        {
            not_postgres(port)
        }
        None => format!("protocol error: {message}"),
    }
}

/// An end of stream in the middle of a read: the server hung up, having sent nothing (a
/// server that stopped) or a fragment that is not a PostgreSQL message (another service,
/// which answered the startup packet and closed).
pub fn closed(io: &std::io::Error, port: u16) -> String {
    // sqlx's text: "expected to read N bytes, got M bytes at EOF".
    let got_some = io
        .to_string()
        .split_once(", got ")
        .and_then(|(_, rest)| rest.split(' ').next()?.parse::<u64>().ok())
        .is_some_and(|got| got > 0);
    if got_some {
        not_postgres(port)
    } else {
        CLOSED.into()
    }
}

/// The server certificate's fault, when `io` is a rustls failure while connecting to `host`
/// under `sslmode` (only verify-ca and verify-full verify certificates).
pub fn certificate(io: &std::io::Error, host: &str, sslmode: &str) -> Option<String> {
    let rustls::Error::InvalidCertificate(fault) = io.get_ref()?.downcast_ref::<rustls::Error>()?
    else {
        return Some(format!("TLS handshake failed: {}", io.get_ref()?));
    };
    const UNVERIFIED: &str = "or use sslmode=require to encrypt without verifying";
    Some(match fault {
        CertificateError::UnknownIssuer => format!(
            "the server's certificate is not signed by a trusted CA (sslmode={sslmode}): set \
             sslrootcert to the CA certificate that signed it, {UNVERIFIED}"
        ),
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            let names = match fault {
                CertificateError::NotValidForNameContext { presented, .. } => {
                    presented_names(presented)
                }
                _ => "other names".into(),
            };
            format!(
                "the server's certificate is for {names}, not {host:?} (sslmode=verify-full): \
                 connect by a name it lists, or use sslmode=verify-ca to skip the host name check"
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            let when = match fault {
                CertificateError::ExpiredContext { not_after, .. } => {
                    format!(" on {}", date(not_after.as_secs()))
                }
                _ => String::new(),
            };
            format!("the server's certificate expired{when}: renew it on the server, {UNVERIFIED}")
        }
        CertificateError::Other(other)
            if other.0.downcast_ref::<webpki::Error>()
                == Some(&webpki::Error::CaUsedAsEndEntity) =>
        {
            format!(
                "the server's certificate is a CA certificate (self-signed, CA:TRUE), which \
                 cannot also be the server's own: sign a server certificate with it and give it \
                 as sslrootcert, {UNVERIFIED}"
            )
        }
        other => format!("the server's certificate was rejected ({other}), {UNVERIFIED}"),
    })
}

/// The names a certificate lists (rustls shows them as `DnsName("x")`, `IpAddress(1.2.3.4)`),
/// quoted with anything unprintable escaped, since they come from the server.
fn presented_names(presented: &[String]) -> String {
    let names: Vec<String> = presented
        .iter()
        .map(|name| {
            let bare = name
                .strip_prefix("DnsName(\"")
                .and_then(|n| n.strip_suffix("\")"))
                .or_else(|| name.strip_prefix("IpAddress(")?.strip_suffix(')'))
                .unwrap_or(name);
            format!("{bare:?}")
        })
        .collect();
    if names.is_empty() {
        "no host name".into()
    } else {
        names.join(", ")
    }
}

/// A UTC date and time for a certificate's validity bound.
fn date(secs: u64) -> String {
    humantime::format_rfc3339_seconds(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .to_string()
}

/// What to say when `sslmode` demands TLS and the server offers none.
pub fn no_tls(sslmode: &str) -> String {
    format!(
        "the server does not accept TLS, but sslmode={sslmode} requires it \
         (sslmode=prefer connects without TLS)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_errors_lose_the_module_path() {
        let other = protocol(
            "unsupported authentication method: Gss (sqlx_postgres::x:1)",
            1,
        );
        assert_eq!(
            other,
            "protocol error: unsupported authentication method: Gss"
        );
    }

    #[test]
    fn an_answer_to_sslrequest_other_than_s_or_n_is_not_postgres() {
        let http = protocol(
            "unexpected response from SSLRequest: 0x48 (sqlx_postgres::c:9)",
            80,
        );
        assert_eq!(http, not_postgres(80));
        // No byte at all: the server hung up.
        let none = protocol(
            "unexpected response from SSLRequest: 0x00 (sqlx_postgres::c:9)",
            80,
        );
        assert_eq!(none, CLOSED);
    }

    #[test]
    fn a_hang_up_after_a_fragment_is_not_postgres() {
        let eof = |text: &str| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, text);
        let fragment = eof("expected to read 1414811696 bytes, got 66 bytes at EOF");
        assert_eq!(closed(&fragment, 8080), not_postgres(8080));
        assert_eq!(
            closed(&eof("expected to read 5 bytes, got 0 bytes at EOF"), 1),
            CLOSED
        );
    }

    #[test]
    fn certificate_names_are_bare_and_quoted() {
        let names = [
            "DnsName(\"db\u{202e}x\")".to_string(),
            "IpAddress(10.0.0.1)".into(),
        ];
        assert_eq!(presented_names(&names), "\"db\\u{202e}x\", \"10.0.0.1\"");
        assert_eq!(presented_names(&[]), "no host name");
    }
}
