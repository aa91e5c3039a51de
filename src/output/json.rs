//! One JSON document per line, for every room that prints JSON (`status --json`, `trigger list
//! --json`, `bench --json`, `listen --events`). On a terminal its strings are sanitized as
//! values, before encoding, so that what is written is still JSON; piped, it is exact.

use super::sanitize_json;
use serde::Serialize;
use std::io::{self, Write};

/// Write `value` as one line of JSON; sanitized when `terminal`.
pub fn line(out: &mut impl Write, value: &impl Serialize, terminal: bool) -> io::Result<()> {
    document(out, value, terminal)?;
    out.write_all(b"\n")
}

/// Write `value` as JSON without a line end; sanitized when `terminal`.
pub fn document(out: &mut impl Write, value: &impl Serialize, terminal: bool) -> io::Result<()> {
    if terminal {
        let mut value = serde_json::to_value(value)?;
        sanitize_json(&mut value);
        serde_json::to_writer(&mut *out, &value)?;
    } else {
        serde_json::to_writer(&mut *out, value)?;
    }
    Ok(())
}
