//! The libpq password file (`PGPASSFILE`, else `~/.pgpass`): `host:port:db:user:password`
//! lines, `*` wildcards, `\:` and `\\` escapes. Like libpq, a file that others can read is
//! ignored with a warning rather than trusted.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// What the password lookup is for. `host` is the host name, or a socket directory (which
/// matches a `localhost` entry, as in libpq).
pub struct Lookup<'a> {
    pub host: &'a str,
    pub port: u16,
    pub dbname: &'a str,
    pub user: &'a str,
}

/// The password of the first matching line of `file`, if the file exists, is private and
/// has one. `warn` receives the reason a file was skipped.
pub fn find(file: &Path, lookup: &Lookup, warn: impl Fn(String)) -> Option<String> {
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() {
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        warn(format!(
            "password file {} has group or world access; permissions should be u=rw (0600) or less; ignoring it",
            file.display()
        ));
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|line| match_line(line, lookup))
}

fn match_line(line: &str, lookup: &Lookup) -> Option<String> {
    if line.starts_with('#') {
        return None;
    }
    let fields = split_fields(line);
    let [host, port, db, user, password] = fields.as_slice() else {
        return None;
    };
    let port_text = lookup.port.to_string();
    let host_ok =
        field_matches(host, lookup.host) || (lookup.host.starts_with('/') && host == "localhost");
    let ok = host_ok
        && field_matches(port, &port_text)
        && field_matches(db, lookup.dbname)
        && field_matches(user, lookup.user);
    ok.then(|| password.clone())
}

fn field_matches(field: &str, value: &str) -> bool {
    field == "*" || field == value
}

/// Split on unescaped `:` into at most five fields (the password keeps any further colons).
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup() -> Lookup<'static> {
        Lookup {
            host: "db.example",
            port: 5432,
            dbname: "app",
            user: "alice",
        }
    }

    #[test]
    fn first_match_wins_with_wildcards_and_escapes() {
        assert_eq!(match_line("db.example:5432:app:bob:x", &lookup()), None);
        assert_eq!(
            match_line("*:*:app:alice:p\\:w\\\\d", &lookup()).as_deref(),
            Some("p:w\\d")
        );
        assert_eq!(
            match_line("db.example:5432:*:*:a:b", &lookup()).as_deref(),
            Some("a:b")
        );
        assert_eq!(match_line("# db.example:5432:*:*:x", &lookup()), None);
    }

    #[test]
    fn socket_matches_localhost() {
        let l = Lookup {
            host: "/tmp",
            ..lookup()
        };
        assert_eq!(
            match_line("localhost:5432:app:alice:s", &l).as_deref(),
            Some("s")
        );
    }
}
