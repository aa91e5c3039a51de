//! What a journal's notifications carry. A notification is only the wake-up: the journal row is
//! the record. `publish()` (one record) sends `POSITION:PAYLOAD` when that fits in a
//! notification, so a live listener needs no query, else `POSITION`; a bulk publish (`notify
//! --durable`, a batch of many records per journal row) sends one `FIRST..LAST` per channel and
//! batch, and the listener reads those records from the journal. Anything else on a durable channel did not
//! come from `publish()`: any session can NOTIFY any channel, so it is reported, not trusted.

/// A journal notification, parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire<'a> {
    /// One record, whole.
    Record { position: i64, payload: &'a str },
    /// One record too long to carry: read it from the journal.
    Position(i64),
    /// Records between these positions (inclusive) were published: read them.
    Range(i64, i64),
}

/// Parse a notification's payload; `None` when it is not a journal notification.
pub fn parse(text: &str) -> Option<Wire<'_>> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let position = number(&text[..digits])?;
    let rest = &text[digits..];
    if rest.is_empty() {
        return Some(Wire::Position(position));
    }
    if let Some(payload) = rest.strip_prefix(':') {
        return Some(Wire::Record { position, payload });
    }
    let last = number(rest.strip_prefix("..")?)?;
    (last >= position).then_some(Wire::Range(position, last))
}

/// A position: 1 to 19 digits, no sign, no leading zero, within bigint.
fn number(text: &str) -> Option<i64> {
    let plain =
        !text.is_empty() && !text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit());
    plain.then(|| text.parse().ok()).flatten()
}

/// The SQL expression of a bulk publish's notification over the positions of its records on
/// one channel (`FIRST..LAST`).
pub fn range(first: &str, last: &str) -> String {
    format!("{first}::text || '..' || {last}::text")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_forms_parse() {
        assert_eq!(
            parse("12:{\"a\":1}"),
            Some(Wire::Record {
                position: 12,
                payload: "{\"a\":1}"
            })
        );
        assert_eq!(
            parse("7:"),
            Some(Wire::Record {
                position: 7,
                payload: ""
            })
        );
        assert_eq!(
            parse("7:a:b"),
            Some(Wire::Record {
                position: 7,
                payload: "a:b"
            })
        );
        assert_eq!(parse("42"), Some(Wire::Position(42)));
        assert_eq!(parse("3..9"), Some(Wire::Range(3, 9)));
    }

    #[test]
    fn anything_else_is_not_the_journal() {
        for text in [
            "",
            "hello",
            ":x",
            "-1:x",
            "01:x",
            "9..3",
            "3..",
            "..3",
            "3...4",
            "3.4",
            "99999999999999999999:x",
            "1 :x",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }
}
