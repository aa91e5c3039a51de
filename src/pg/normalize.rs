//! Query text with its values taken out, as `pg_stat_statements` shows it: every constant (a
//! string in any of PostgreSQL's quoting forms, a number, a bit string) becomes a placeholder
//! `$N`, and every comment becomes `/*…*/`. Other sessions' queries hold secrets in their
//! literals (`PASSWORD '…'`, a DSN, a token) and comments, so `status --show-queries` shows
//! only this form: the statement's shape, never a value.
//!
//! The scanner follows PostgreSQL's lexical rules (`scan.l`). Where the text cannot be read for
//! sure it hides more, never less: an unterminated string or comment (query text is cut at
//! `track_activity_query_size`) runs to the end, and a plain `'…'` string holding a backslash
//! before a quote ends the shown text, since where it ends depends on the other session's
//! `standard_conforming_strings`.

/// `query` with every constant replaced by `$N` (numbered after the highest parameter the
/// query already has) and every comment by `/*…*/`; runs of whitespace become one space.
pub fn normalize(query: &str) -> String {
    let mut next = highest_parameter(query) + 1;
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some(c) = rest.chars().next() {
        let token = scan(rest);
        match token.kind {
            Kind::Constant => {
                out.push_str(&format!("${next}"));
                next += 1;
            }
            Kind::Comment => out.push_str("/*…*/"),
            Kind::Space => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            Kind::Hidden => {
                out.push_str(&format!("${next}…"));
                break;
            }
            Kind::Other => out.push_str(&rest[..token.len]),
        }
        debug_assert!(token.len >= c.len_utf8() || token.kind == Kind::Hidden);
        rest = &rest[token.len.min(rest.len())..];
    }
    out.trim_end().to_string()
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// A literal value: a string, a number or a bit string.
    Constant,
    Comment,
    Space,
    /// From here on nothing can be shown for sure.
    Hidden,
    /// Keywords, identifiers, operators, punctuation, parameters: shown as they are.
    Other,
}

struct Token {
    kind: Kind,
    len: usize,
}

fn token(kind: Kind, len: usize) -> Token {
    Token { kind, len }
}

/// The token at the start of `text` (not empty).
fn scan(text: &str) -> Token {
    let bytes = text.as_bytes();
    let c = text.chars().next().expect("not empty");
    let at = |i: usize| bytes.get(i).copied();
    match c {
        c if c.is_whitespace() => {
            let len = text
                .char_indices()
                .find(|(_, c)| !c.is_whitespace())
                .map_or(text.len(), |(i, _)| i);
            token(Kind::Space, len)
        }
        '-' if at(1) == Some(b'-') => token(Kind::Comment, text.find('\n').unwrap_or(text.len())),
        '/' if at(1) == Some(b'*') => token(Kind::Comment, block_comment(text)),
        '\'' => plain_string(text, 0),
        // E'…' (backslash escapes), B'…', X'…' (bit strings), N'…' (national), U&'…'.
        'e' | 'E' if at(1) == Some(b'\'') => escape_string(text, 1),
        'b' | 'B' | 'x' | 'X' | 'n' | 'N' if at(1) == Some(b'\'') => plain_string(text, 1),
        'u' | 'U' if at(1) == Some(b'&') && at(2) == Some(b'\'') => plain_string(text, 2),
        '"' => {
            // A quoted identifier is a name, not a value; `""` is a quote inside it.
            token(Kind::Other, quoted_end(text, 1, b'"').unwrap_or(text.len()))
        }
        '$' => dollar(text),
        c if c.is_ascii_digit() || (c == '.' && at(1).is_some_and(|b| b.is_ascii_digit())) => {
            token(Kind::Constant, number(text))
        }
        c if c.is_alphabetic() || c == '_' || !c.is_ascii() => {
            let len = text
                .char_indices()
                .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '$' || !c.is_ascii()))
                .map_or(text.len(), |(i, _)| i);
            token(Kind::Other, len)
        }
        c => token(Kind::Other, c.len_utf8()),
    }
}

/// The end of a `/* … */` comment, which nests; the whole text if it never ends.
fn block_comment(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0usize, 0);
    while i + 1 < bytes.len() {
        match &bytes[i..i + 2] {
            b"/*" => {
                depth += 1;
                i += 2;
            }
            b"*/" => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    text.len()
}

/// The end of a quoted run that opens at `open` (the quote itself), where a doubled quote is
/// part of it; `None` if it never closes.
fn quoted_end(text: &str, from: usize, quote: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return Some(i + 1);
        }
        i += 1;
    }
    None
}

/// A string whose quote opens at `prefix` and knows no backslash escapes (with
/// `standard_conforming_strings` on, the default). If it holds a backslash before a quote,
/// the other reading (`\'` as an escaped quote) would end it elsewhere: hide the rest.
fn plain_string(text: &str, prefix: usize) -> Token {
    match quoted_end(text, prefix + 1, b'\'') {
        Some(end) if !text[..end].contains("\\'") => token(Kind::Constant, end),
        Some(_) => token(Kind::Hidden, text.len()),
        None => token(Kind::Constant, text.len()),
    }
}

/// An `E'…'` string: backslash escapes anything, `''` is a quote.
fn escape_string(text: &str, prefix: usize) -> Token {
    let bytes = text.as_bytes();
    let mut i = prefix + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b'\'' => return token(Kind::Constant, i + 1),
            _ => i += 1,
        }
    }
    token(Kind::Constant, text.len())
}

/// `$1` (a parameter, shown), or a dollar-quoted string `$tag$…$tag$` (a constant).
fn dollar(text: &str) -> Token {
    let rest = &text[1..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 {
        return token(Kind::Other, 1 + digits);
    }
    let tag_len = rest
        .char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || !c.is_ascii()))
        .map_or(rest.len(), |(i, _)| i);
    if rest[tag_len..].starts_with('$') {
        let tag = &text[..tag_len + 2];
        let body = tag.len();
        return match text[body..].find(tag) {
            Some(at) => token(Kind::Constant, body + at + tag.len()),
            None => token(Kind::Constant, text.len()),
        };
    }
    token(Kind::Other, 1)
}

/// The length of the number at the start of `text`: digits, a fraction, an exponent (and the
/// letters and underscores PostgreSQL 16 allows in `0x1F`, `1_000`).
fn number(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let exponent_sign =
            matches!(b, b'+' | b'-') && i > 0 && matches!(bytes[i - 1], b'e' | b'E');
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || exponent_sign {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// The highest `$N` parameter in `query` outside strings and comments (0 if none).
fn highest_parameter(query: &str) -> u64 {
    let mut highest = 0;
    let mut rest = query;
    while !rest.is_empty() {
        let token = scan(rest);
        if token.kind == Kind::Other && rest.starts_with('$') {
            highest = highest.max(rest[1..token.len].parse().unwrap_or(0));
        }
        if token.kind == Kind::Hidden {
            break;
        }
        rest = &rest[token.len..];
    }
    highest
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn literals_of_every_kind_become_placeholders() {
        for (query, shown) in [
            (
                "SELECT 'postgresql://app:S3cret@db/app' AS dsn",
                "SELECT $1 AS dsn",
            ),
            ("SELECT 'S3cret' AS passwd", "SELECT $1 AS passwd"),
            ("ALTER ROLE a PASSWORD 'S3cret'", "ALTER ROLE a PASSWORD $1"),
            ("SELECT 'it''s S3cret', E'a\\'S3cret'", "SELECT $1, $2"),
            ("SELECT $$S3cret$$, $tag$x $$ S3cret$tag$", "SELECT $1, $2"),
            (
                "SELECT 42, 3.5e-3, .5, 0x1F, 1_000",
                "SELECT $1, $2, $3, $4, $5",
            ),
            (
                "SELECT B'1010', X'FF', U&'S3cret', N'S3cret'",
                "SELECT $1, $2, $3, $4",
            ),
            ("SELECT interval '1 day'", "SELECT interval $1"),
            ("SELECT $1::text, 'S3cret'", "SELECT $1::text, $2"),
            ("NOTIFY status_lock, 'S3cret'", "NOTIFY status_lock, $1"),
        ] {
            assert_eq!(normalize(query), shown, "{query}");
        }
    }

    #[test]
    fn comments_go_and_names_stay() {
        assert_eq!(
            normalize("SELECT t1.\"S p$\" /* S3cret /* nested */ S3cret */ FROM t1 -- S3cret\n"),
            "SELECT t1.\"S p$\" /*…*/ FROM t1 /*…*/"
        );
        assert_eq!(
            normalize("SELECT a$1, x FROM\n\n  t"),
            "SELECT a$1, x FROM t"
        );
    }

    #[test]
    fn what_cannot_be_read_for_sure_is_hidden() {
        // Cut at track_activity_query_size inside a string or a comment.
        assert_eq!(normalize("SELECT 'S3cr"), "SELECT $1");
        assert_eq!(normalize("SELECT /* S3cr"), "SELECT /*…*/");
        assert_eq!(normalize("SELECT $x$S3cr"), "SELECT $1");
        // With standard_conforming_strings off, 'a\' would not end at its second quote.
        assert_eq!(normalize("SELECT 'a\\', 'S3cret'"), "SELECT $1…");
        assert_eq!(normalize("SELECT 'a\\', S3cret'"), "SELECT $1…");
    }
}
