//! `trigger list`'s printers: one line per (table, channel) pgpubsub serves, as an aligned
//! table for people or one JSON object per line for scripts. Names come from the catalog and
//! anyone who may create a table chooses them: the output room shows them through the
//! sanitizer (the table's cells always; JSON as values, before encoding, on a terminal), and
//! piped JSON carries them exactly.

use super::catalog::Found;
use crate::output;
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
                m.channel.clone(),
                events.join(","),
                m.columns.as_ref().map_or("*".to_string(), |c| c.join(",")),
            ]
        })
        .collect();
    let text = output::table::render(["TABLE", "CHANNEL", "EVENTS", "COLUMNS"], rows);
    out.write_all(text.as_bytes())?;
    out.flush()
}
