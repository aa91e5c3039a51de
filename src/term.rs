//! What reaches a terminal: the one sanitizer for untrusted text (payloads, channel names,
//! server messages, application names) and the one decision whether to use color. Every
//! printer (listen's records, the demo's narration, error lines) goes through here, so a
//! payload can never drive the screen through one printer that forgot.

use std::borrow::Cow;
use std::io::IsTerminal;

/// Decide once whether anything pgpubsub prints may be colored: `forced` is `--color
/// always|never`; otherwise color when stdout is a terminal, unless NO_COLOR is set or TERM is
/// dumb.
pub fn init_color(forced: Option<bool>) {
    colored::control::set_override(forced.unwrap_or_else(auto_color));
}

/// `--color auto`: a terminal, no NO_COLOR, TERM not dumb.
fn auto_color() -> bool {
    std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var("TERM").map_or(true, |t| t != "dumb")
}

/// Make untrusted text safe for a terminal: control characters (C0, DEL, C1), bidirectional
/// controls, the line and paragraph separators (U+2028, U+2029, which some terminals and
/// editors break lines at) and the byte-order mark are shown as escapes instead of being
/// interpreted, newline, tab and CR as `\n`, `\t`, `\r`, so the text prints as one inert line.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' => clean.push_str("\\n"),
            '\t' => clean.push_str("\\t"),
            '\r' => clean.push_str("\\r"),
            c if is_unsafe(c) => clean.push_str(&c.escape_unicode().to_string()),
            c => clean.push(c),
        }
    }
    Cow::Owned(clean)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(
            sanitize("x\u{1b}[2Jy\u{9b}z\u{202e}\r\n\t"),
            "x\\u{1b}[2Jy\\u{9b}z\\u{202e}\\r\\n\\t"
        );
        assert!(matches!(sanitize("{\"a\": 1} é"), Cow::Borrowed(_)));
        assert_eq!(
            sanitize("a\u{2028}b\u{2029}c\u{feff}\u{61c}"),
            "a\\u{2028}b\\u{2029}c\\u{feff}\\u{61c}"
        );
    }
}
