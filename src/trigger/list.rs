//! `trigger list`'s printers: one line per (table, channel) pgpubsub serves, as an aligned
//! table for people or one JSON object per line for scripts. Names come from the catalog and
//! anyone who may create a table chooses them, so on a terminal both forms show them through
//! the sanitizer (JSON as values, before encoding); piped, JSON carries them exactly.

use super::catalog::Found;
use crate::output::{self, sanitize};
use crate::pg::quote::qualified;
use crate::pg::trigger::Marker;
use serde::Serialize;
use std::io::{self, Write};

/// One (table, channel): its marker, and the triggers and function that serve it.
struct Entry<'a> {
    found: &'a Found,
    triggers: Vec<&'a str>,
}

/// A JSON line of `trigger list --json`.
#[derive(Serialize)]
struct Json<'a> {
    schema: &'a str,
    table: &'a str,
    #[serde(flatten)]
    marker: &'a Marker,
    triggers: &'a [&'a str],
    function: Option<String>,
}

/// Print `found` (ordered by table), grouped per channel.
pub fn print(out: &mut impl Write, found: &[Found], json: bool, terminal: bool) -> io::Result<()> {
    let mut entries: Vec<Entry> = Vec::new();
    for f in found {
        match entries.iter_mut().find(|e| {
            e.found.installed.schema == f.installed.schema
                && e.found.installed.table == f.installed.table
                && e.found.marker.channel == f.marker.channel
        }) {
            Some(entry) => entry.triggers.push(&f.installed.trigger),
            None => entries.push(Entry {
                found: f,
                triggers: vec![&f.installed.trigger],
            }),
        }
    }
    if json {
        for e in &entries {
            let i = &e.found.installed;
            let line = Json {
                schema: &i.schema,
                table: &i.table,
                marker: &e.found.marker,
                triggers: &e.triggers,
                function: i.function.as_ref().map(|(s, n)| qualified(s, n)),
            };
            output::json::line(out, &line, terminal)?;
        }
        return out.flush();
    }
    let rows: Vec<[String; 4]> = entries
        .iter()
        .map(|e| {
            let m = &e.found.marker;
            let events: Vec<&str> = m.events.iter().map(|e| e.name()).collect();
            [
                e.found.display.clone(),
                sanitize(&m.channel).into_owned(),
                events.join(","),
                m.columns
                    .as_ref()
                    .map_or("*".to_string(), |c| sanitize(&c.join(",")).into_owned()),
            ]
        })
        .collect();
    let header = ["TABLE", "CHANNEL", "EVENTS", "COLUMNS"].map(String::from);
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    out.flush()
}
