//! Aligned tables and plain text for people (`trigger list`, `journal status`, `--dry-run`
//! scripts). Their cells and lines carry names from the catalog, which anyone who may create a
//! table, a schema or a consumer chooses: cells are sanitized here, before they are measured
//! and padded, and text is sanitized line by line on a terminal. Rooms hand over raw values.

use super::sanitize;
use std::io::{self, Write};

/// `rows` under `header` (ours, not sanitized), each column padded to its widest cell, two
/// spaces apart, one line per row.
pub fn render<const N: usize>(header: [&str; N], rows: Vec<[String; N]>) -> String {
    let header = header.map(String::from);
    let rows: Vec<[String; N]> = rows
        .into_iter()
        .map(|row| row.map(|cell| sanitize(&cell).into_owned()))
        .collect();
    let mut widths = [0; N];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        text.push_str(line.join("  ").trim_end());
        text.push('\n');
    }
    text
}

/// Write `text` (a report, an SQL script): on a terminal each line sanitized, so that names in
/// it cannot drive the screen; piped or redirected, exact (a script saved to a file must run).
pub fn text(out: &mut impl Write, text: &str, terminal: bool) -> io::Result<()> {
    if terminal {
        for line in text.lines() {
            writeln!(out, "{}", sanitize(line))?;
        }
    } else {
        out.write_all(text.as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_sanitized_before_they_are_padded() {
        let rows = vec![["a\u{1b}[2J".to_string(), "x".to_string()]];
        let text = render(["NAME", "C"], rows);
        assert_eq!(text, "NAME        C\na\\u{1b}[2J  x\n");
    }

    #[test]
    fn text_is_exact_when_piped_and_inert_on_a_terminal() {
        let mut piped = Vec::new();
        text(&mut piped, "-- \u{1b}]0;x\u{7}\nSELECT 1;\n", false).unwrap();
        assert_eq!(piped, b"-- \x1b]0;x\x07\nSELECT 1;\n");
        let mut screen = Vec::new();
        text(&mut screen, "-- \u{1b}]0;x\u{7}\nSELECT 1;\n", true).unwrap();
        assert_eq!(
            String::from_utf8(screen).unwrap(),
            "-- \\u{1b}]0;x\\u{7}\nSELECT 1;\n"
        );
    }
}
