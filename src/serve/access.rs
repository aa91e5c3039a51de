//! Who may read and publish which channels. PostgreSQL has no permission on LISTEN or NOTIFY,
//! and a channel name is no secret, so `serve` is the only gate between a web client and the
//! database's notifications: channels outside the `--channel` patterns are never served, and
//! with authentication every request carries a credential that names its own channels. Two kinds
//! are accepted, each through its own well-worn format: opaque bearer tokens from a file (each
//! with the patterns it may read and publish), and JWTs (HS256 or RS256) whose claims list them.

use crate::limits::check_channel;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Channel patterns: a name matches when any pattern does. `*` stands for any run of
/// characters, `?` for one; `\` makes the next character literal.
#[derive(Debug, Clone, Default)]
pub struct Patterns(Vec<String>);

impl Patterns {
    /// Patterns from their text, refusing empty ones.
    pub fn new(patterns: impl IntoIterator<Item = String>) -> Result<Patterns, String> {
        let patterns: Vec<String> = patterns.into_iter().collect();
        if patterns.iter().any(String::is_empty) {
            return Err("an empty channel pattern matches nothing".into());
        }
        Ok(Patterns(patterns))
    }

    /// Whether `channel` matches one of the patterns.
    pub fn matches(&self, channel: &str) -> bool {
        self.0.iter().any(|p| glob(p, channel))
    }

    /// The patterns as given, for messages.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// Wildcard match of a whole name: `*` any run (also empty), `?` one character, `\x` a
/// literal x. Iterative with one backtrack point, so no pattern can make it slow.
fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
                continue;
            }
            Some('?') => {
                pi += 1;
                ni += 1;
                continue;
            }
            Some('\\') if p.get(pi + 1) == Some(&n[ni]) => {
                pi += 2;
                ni += 1;
                continue;
            }
            Some(&c) if c != '\\' && c == n[ni] => {
                pi += 1;
                ni += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, sn)) => {
                pi = sp + 1;
                ni = sn + 1;
                star = Some((sp, sn + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// What one credential allows, and until when.
#[derive(Debug, Clone)]
pub struct Grant {
    pub read: Patterns,
    pub publish: Patterns,
    /// When the credential stops being valid (a JWT's `exp`, plus the leeway): streams opened
    /// with it end then.
    pub expires: Option<SystemTime>,
}

impl Grant {
    /// Full access within the served patterns: what a request gets when no authentication is
    /// configured (allowed on loopback only).
    fn anyone() -> Grant {
        let all = Patterns(vec!["*".into()]);
        Grant {
            read: all.clone(),
            publish: all,
            expires: None,
        }
    }
}

/// Why a request was refused, in words safe to send back (they never echo the credential).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// 401: no credential, or one that is unknown, expired or badly signed.
    Unauthenticated(&'static str),
    /// 403: authenticated, but not for this.
    Forbidden(String),
    /// 400: not a channel name PostgreSQL accepts.
    BadChannel(String),
}

/// How requests are authenticated: none (loopback only), tokens, JWTs, or both.
#[derive(Default)]
pub struct Auth {
    /// SHA-256 of each token (looked up by digest, so comparing leaks nothing about a token)
    /// and its grant.
    tokens: HashMap<[u8; 32], Grant>,
    jwt: Option<Jwt>,
    /// Whether any credential is required.
    required: bool,
}

/// JWT verification: keys by algorithm, and the claims' rules.
struct Jwt {
    keys: Vec<(Algorithm, DecodingKey)>,
    audience: Option<String>,
    /// Seconds of clock skew allowed on `exp` and `nbf`.
    leeway: u64,
}

/// A JWT's claims that pgpubsub reads (`exp` is checked by the library).
#[derive(serde::Deserialize)]
struct Claims {
    #[serde(default)]
    channels: Vec<String>,
    #[serde(default)]
    publish: Vec<String>,
    /// Required (the library refuses a token without it), but read here too.
    #[serde(default)]
    exp: u64,
}

/// The shortest token accepted from a token file: shorter ones could be guessed.
const MIN_TOKEN_BYTES: usize = 16;

/// Where authentication settings come from (resolved from the flags by `app`).
#[derive(Debug, Default, Clone)]
pub struct AuthFiles {
    pub tokens: Option<std::path::PathBuf>,
    pub jwt_secret: Option<std::path::PathBuf>,
    pub jwt_public_key: Option<std::path::PathBuf>,
    pub jwt_audience: Option<String>,
    /// Clock skew allowed on a JWT's `exp` and `nbf`.
    pub jwt_leeway: Duration,
}

impl Auth {
    /// Read the token file and keys named in `files`; an unreadable or malformed one is an
    /// error naming the file (and line).
    pub fn load(files: &AuthFiles) -> Result<Auth, String> {
        let mut auth = Auth::default();
        if let Some(path) = &files.tokens {
            let text = read(path, "--tokens")?;
            auth.tokens = parse_tokens(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            auth.required = true;
        }
        let mut keys = Vec::new();
        if let Some(path) = &files.jwt_secret {
            let secret = read(path, "--jwt-secret")?;
            let secret = secret.trim_end_matches(['\n', '\r']);
            if secret.len() < 32 {
                return Err(format!(
                    "--jwt-secret {}: the secret is {} bytes; HS256 needs at least 32",
                    path.display(),
                    secret.len()
                ));
            }
            keys.push((
                Algorithm::HS256,
                DecodingKey::from_secret(secret.as_bytes()),
            ));
        }
        if let Some(path) = &files.jwt_public_key {
            let pem = read(path, "--jwt-public-key")?;
            let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
                format!(
                    "--jwt-public-key {}: not an RSA public key in PEM ({e})",
                    path.display()
                )
            })?;
            keys.push((Algorithm::RS256, key));
        }
        if !keys.is_empty() {
            auth.jwt = Some(Jwt {
                keys,
                audience: files.jwt_audience.clone(),
                leeway: files.jwt_leeway.as_secs(),
            });
            auth.required = true;
        }
        Ok(auth)
    }

    /// The secret files (token file, HS256 secret) that users other than the owner may read.
    pub fn exposed(files: &AuthFiles) -> Vec<&Path> {
        use std::os::unix::fs::MetadataExt;
        [&files.tokens, &files.jwt_secret]
            .into_iter()
            .flatten()
            .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.mode() & 0o077 != 0))
            .map(|path| path.as_path())
            .collect()
    }

    /// Whether requests must authenticate.
    pub fn required(&self) -> bool {
        self.required
    }

    /// The grant for a request that presented `credential` (a bearer token or JWT), or why
    /// none.
    pub fn grant(&self, credential: Option<&str>) -> Result<Grant, Refusal> {
        if !self.required {
            return Ok(Grant::anyone());
        }
        let Some(credential) = credential.filter(|c| !c.is_empty()) else {
            return Err(Refusal::Unauthenticated(
                "authentication required: send Authorization: Bearer TOKEN (or access_token=TOKEN in the query)",
            ));
        };
        if let Some(grant) = self.tokens.get(&digest(credential)) {
            return Ok(grant.clone());
        }
        match &self.jwt {
            Some(jwt) if credential.split('.').count() == 3 => jwt.verify(credential),
            _ => Err(Refusal::Unauthenticated("unknown token")),
        }
    }
}

impl Jwt {
    /// Verify signature, algorithm, expiry (and `nbf`, `aud` when present); the channels
    /// claims become the grant.
    fn verify(&self, token: &str) -> Result<Grant, Refusal> {
        use jsonwebtoken::errors::ErrorKind;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| Refusal::Unauthenticated("malformed JWT"))?;
        let Some((alg, key)) = self.keys.iter().find(|(alg, _)| *alg == header.alg) else {
            return Err(Refusal::Unauthenticated(
                "JWT signed with an algorithm this server does not accept",
            ));
        };
        let mut validation = Validation::new(*alg);
        validation.leeway = self.leeway;
        // RFC 7519: not accepted "on or after" exp (the library alone would accept it during
        // that second), so that a refused token and the end of its streams agree.
        validation.reject_tokens_expiring_in_less_than = 1;
        validation.validate_nbf = true;
        match &self.audience {
            Some(audience) => {
                validation.set_audience(&[audience]);
                validation.set_required_spec_claims(&["exp", "aud"]);
            }
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| {
                Refusal::Unauthenticated(match e.kind() {
                    ErrorKind::ExpiredSignature => "the JWT has expired",
                    ErrorKind::ImmatureSignature => "the JWT is not valid yet (nbf)",
                    ErrorKind::InvalidSignature => "the JWT's signature does not verify",
                    ErrorKind::InvalidAudience => "the JWT is for another audience (aud)",
                    ErrorKind::MissingRequiredClaim(_) => "the JWT lacks a required claim (exp)",
                    _ => "invalid JWT",
                })
            })?
            .claims;
        let invalid = |_| Refusal::Unauthenticated("the JWT's channel patterns are invalid");
        Ok(Grant {
            read: Patterns::new(claims.channels).map_err(invalid)?,
            publish: Patterns::new(claims.publish).map_err(invalid)?,
            expires: Some(UNIX_EPOCH + Duration::from_secs(claims.exp.saturating_add(self.leeway))),
        })
    }
}

/// Whether a request with `grant` may read (or, with `publish`, send to) `channel`, which must
/// also match the served patterns.
pub fn check(
    served: &Patterns,
    grant: &Grant,
    channel: &str,
    publish: bool,
) -> Result<(), Refusal> {
    check_channel(channel).map_err(Refusal::BadChannel)?;
    if !served.matches(channel) {
        return Err(Refusal::Forbidden(format!(
            "channel {channel:?} is not served here (see serve --channel)"
        )));
    }
    let (patterns, verb) = match publish {
        true => (&grant.publish, "publish to"),
        false => (&grant.read, "read"),
    };
    if !patterns.matches(channel) {
        return Err(Refusal::Forbidden(format!(
            "this credential may not {verb} channel {channel:?}"
        )));
    }
    Ok(())
}

/// A token's SHA-256: tokens are looked up by it, so no comparison runs over a secret.
fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).into()
}

fn read(path: &Path, flag: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {flag} {}: {e}", path.display()))
}

/// Parse a token file: `TOKEN read=PATTERNS [publish=PATTERNS]` per line, patterns
/// comma-separated; `#` starts a comment line; blank lines are skipped.
fn parse_tokens(text: &str) -> Result<HashMap<[u8; 32], Grant>, String> {
    let mut tokens = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", number + 1);
        let mut words = line.split_whitespace();
        let token = words.next().unwrap_or_default();
        if token.len() < MIN_TOKEN_BYTES {
            return Err(at(format!(
                "a token must be at least {MIN_TOKEN_BYTES} bytes (e.g. `openssl rand -hex 32`)"
            )));
        }
        let (mut read, mut publish) = (None, None);
        for word in words {
            let (key, list) = word.split_once('=').ok_or_else(|| {
                at(format!(
                    "expected read=PATTERNS or publish=PATTERNS, not {word:?}"
                ))
            })?;
            let patterns = Patterns::new(list.split(',').map(String::from)).map_err(at)?;
            let slot = match key {
                "read" => &mut read,
                "publish" => &mut publish,
                _ => return Err(at(format!("unknown key {key:?} (read or publish)"))),
            };
            if slot.replace(patterns).is_some() {
                return Err(at(format!("{key}= given twice")));
            }
        }
        if read.is_none() && publish.is_none() {
            return Err(at(
                "the token grants nothing: add read=PATTERNS and/or publish=PATTERNS".into(),
            ));
        }
        let grant = Grant {
            read: read.unwrap_or_default(),
            publish: publish.unwrap_or_default(),
            expires: None,
        };
        if tokens.insert(digest(token), grant).is_some() {
            return Err(at("the same token is listed twice".into()));
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_whole_names() {
        assert!(glob("*", "anything"));
        assert!(glob("orders_*", "orders_eu"));
        assert!(glob("orders_*", "orders_"));
        assert!(!glob("orders_*", "order"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*.done", "job.42.done"));
        assert!(!glob("*.done", "job.42.done.x"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(glob("lit\\*", "lit*"));
        assert!(!glob("lit\\*", "litx"));
        assert!(glob("jobs", "jobs"));
        assert!(!glob("jobs", "Jobs"));
        assert!(glob("é*", "étoile"));
    }

    #[test]
    fn token_file_lines() {
        let text = "# comment\n\n0123456789abcdef read=a,b_* publish=b_1\n\
                    fedcba9876543210fedc read=*\n";
        let tokens = parse_tokens(text).unwrap();
        assert_eq!(tokens.len(), 2);
        for (bad, why) in [
            ("short read=a", "at least 16"),
            ("0123456789abcdef", "grants nothing"),
            ("0123456789abcdef read=a read=b", "twice"),
            ("0123456789abcdef write=a", "unknown key"),
            ("0123456789abcdef read=a,,b", "empty channel pattern"),
            (
                "0123456789abcdef read=a\n0123456789abcdef read=b",
                "listed twice",
            ),
        ] {
            let err = parse_tokens(bad).unwrap_err();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn checks_need_the_served_patterns_and_the_grant() {
        let served = Patterns::new(["jobs_*".to_string()]).unwrap();
        let grant = Grant {
            read: Patterns::new(["jobs_a".to_string()]).unwrap(),
            publish: Patterns::default(),
            expires: None,
        };
        assert_eq!(check(&served, &grant, "jobs_a", false), Ok(()));
        assert!(matches!(
            check(&served, &grant, "jobs_b", false),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            check(&served, &grant, "jobs_a", true),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            check(&served, &Grant::anyone(), "other", false),
            Err(Refusal::Forbidden(_))
        ));
        let long = "jobs_".to_string() + &"x".repeat(60);
        assert!(matches!(
            check(&served, &grant, &long, false),
            Err(Refusal::BadChannel(_))
        ));
    }
}
