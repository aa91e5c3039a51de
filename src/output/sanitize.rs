//! The one sanitizer for untrusted text (payloads, channel names, server messages, application
//! names, query text) on its way to a screen. It is applied to values, before any encoding:
//! a JSON document sanitized after encoding would hold `\u{1b}`, which is not JSON.

use std::borrow::Cow;

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

/// Sanitize every string in `value` (keys too), so that the JSON written from it is still
/// JSON and says nothing a terminal would act on.
pub fn sanitize_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = sanitize(text) {
                *text = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(sanitize_json),
        Value::Object(fields) => {
            let unsafe_keys = fields.keys().any(|k| matches!(sanitize(k), Cow::Owned(_)));
            if unsafe_keys {
                let old = std::mem::take(fields);
                for (key, mut value) in old {
                    sanitize_json(&mut value);
                    fields.insert(sanitize(&key).into_owned(), value);
                }
            } else {
                fields.values_mut().for_each(sanitize_json);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_are_sanitized_before_encoding_and_stay_json() {
        let mut value =
            serde_json::json!({"a": ["x\u{1b}[2J"], "b\u{9b}": {"c": "\u{9b}"}, "n": 1});
        sanitize_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"a": ["x\\u{1b}[2J"], "b\\u{9b}": {"c": "\\u{9b}"}, "n": 1})
        );
        let text = serde_json::to_string(&value).unwrap();
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "{text}"
        );
    }

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
