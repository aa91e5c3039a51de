//! The SQL that sends a batch: one statement per transaction, with the batch's texts either
//! bound as parameters or, for pipelined round trips, written as escaped literals. Both run the
//! same statements: pipelined round trips EXECUTE them, prepared once per session, which spares the
//! server planning each one. One server backend is the bottleneck of a fast stream, so the usual
//! batch (one channel, payloads without a newline) travels as one newline-joined text that
//! `string_to_table` splits: much cheaper for the server than parsing a text array.
//!
//! A [`Dialect`] holds the statements of a run: plain notifications, or (`--durable`) the
//! journal's: each batch appended to the journal as one row, with one `FIRST..LAST`
//! notification per channel (see `journal::wire`), and a lone record through `publish()`.

use super::batch::Batch;
use super::source::Message;
use crate::journal::Names;
use sqlx::postgres::{PgArguments, Postgres};
use sqlx::query::Query;
use sqlx::AssertSqlSafe;
use std::sync::Arc;

/// One batch as one statement, for batches on one channel whose payloads hold no newline (the
/// usual case: half the data, and the cheapest to split). `pg_notify` is called inside
/// `count(..)`, as pgbench's tuned script does: measured 10-20 % cheaper for the server than
/// calling it in a subquery's select list. Send order is input order because the plan is an
/// Aggregate over a single Function Scan, which reads the function's rows in the order it
/// returned them (nothing between them can reorder; the order test sends 100 000 lines). A
/// batch has two or more payloads, so the joined text has a separator and splits into exactly
/// as many fields, empty ones included.
const LINES: &str = "SELECT count(pg_notify($1, p)) FROM string_to_table($2, E'\\n') AS t(p)";
/// The same for one channel when a payload holds a newline (`--null` or `--from-json` input).
const ONE_CHANNEL: &str = "SELECT count(pg_notify($1, p)) FROM unnest($2::text[]) AS t(p)";
/// The same for batches that name several channels (`--also`, `--from-json`).
const MANY_CHANNELS: &str =
    "SELECT count(pg_notify(c, p)) FROM unnest($1::text[], $2::text[]) AS t(c, p)";
/// A lone message's statement: the plain call, cheaper to run (and an empty payload alone
/// would split into no field at all).
const LONE: &str = "SELECT pg_notify($1, $2)";

/// A batch statement: its text takes `$1` then `$2`, once each.
#[derive(Debug)]
struct Statement {
    /// Its name when prepared.
    name: &'static str,
    /// Its parameter types when prepared.
    params: &'static str,
    text: String,
}

/// The statements of one run.
#[derive(Debug)]
pub struct Dialect {
    lone: String,
    lines: Statement,
    one_channel: Statement,
    many_channels: Statement,
}

impl Dialect {
    /// Plain notifications.
    pub fn plain() -> Arc<Dialect> {
        Arc::new(Dialect {
            lone: LONE.to_string(),
            lines: Statement {
                name: "pgpubsub_lines",
                params: "text, text",
                text: LINES.to_string(),
            },
            one_channel: Statement {
                name: "pgpubsub_one",
                params: "text, text[]",
                text: ONE_CHANNEL.to_string(),
            },
            many_channels: Statement {
                name: "pgpubsub_many",
                params: "text[], text[]",
                text: MANY_CHANNELS.to_string(),
            },
        })
    }

    /// Records appended to the journal `names`: each batch as one journal row (see
    /// `journal::sql`), in input order, and one `FIRST..LAST` wake-up per channel; a lone
    /// record through `publish()`, whose notification carries it.
    pub fn durable(names: &Names) -> Arc<Dialect> {
        Arc::new(Dialect {
            lone: format!("SELECT {}($1, $2)", names.publish),
            lines: Statement {
                name: "pgpubsub_durable_lines",
                params: "text, text",
                text: names.append(
                    "$1::text",
                    "NULL::text[]",
                    "pg_catalog.string_to_array($2::text, E'\\n')",
                ),
            },
            one_channel: Statement {
                name: "pgpubsub_durable_one",
                params: "text, text[]",
                text: names.append("$1::text", "NULL::text[]", "$2::text[]"),
            },
            many_channels: Statement {
                name: "pgpubsub_durable_many",
                params: "text[], text[]",
                text: names.append("NULL::text", "$1::text[]", "$2::text[]"),
            },
        })
    }

    /// Prepares the statements in a session, for [`Dialect::render`]'s EXECUTE.
    pub fn prepare(&self) -> String {
        [&self.lines, &self.one_channel, &self.many_channels]
            .map(|s| format!("PREPARE {}({}) AS {};", s.name, s.params, s.text))
            .concat()
    }

    /// A batch's statement with bind parameters, as an unnamed statement: a named one would
    /// stay in the server session, where behind a transaction-mode pooler another client (or
    /// this one, lent another session) could meet it or miss it.
    pub fn bound<'a>(&'a self, batch: &'a Batch) -> Query<'a, Postgres, PgArguments> {
        let payloads = || batch.messages.iter().map(|m| m.payload.as_str());
        let query = match Form::of(batch) {
            Form::Lone(message) => sqlx::query(AssertSqlSafe(self.lone.as_str()))
                .bind(&*message.channel)
                .bind(&message.payload),
            Form::Lines(channel) => sqlx::query(AssertSqlSafe(self.lines.text.as_str()))
                .bind(channel)
                .bind(joined(payloads())),
            Form::OneChannel(channel) => sqlx::query(AssertSqlSafe(self.one_channel.text.as_str()))
                .bind(channel)
                .bind(payloads().collect::<Vec<_>>()),
            Form::ManyChannels => {
                let channels: Vec<&str> = batch.messages.iter().map(|m| &*m.channel).collect();
                sqlx::query(AssertSqlSafe(self.many_channels.text.as_str()))
                    .bind(channels)
                    .bind(payloads().collect::<Vec<_>>())
            }
        };
        query.persistent(false)
    }

    /// `BEGIN; <statement>; COMMIT;` for each batch.
    pub fn render_all(&self, batches: &[Batch], statements: Statements) -> String {
        let mut sql = String::new();
        for batch in batches {
            self.render(&mut sql, batch, statements);
        }
        sql
    }

    /// Append `BEGIN; <statement>; COMMIT;`: the statement of [`Dialect::bound`] with every
    /// text as an escaped literal.
    pub fn render(&self, sql: &mut String, batch: &Batch, statements: Statements) {
        sql.push_str("BEGIN;");
        let messages = batch.messages.as_slice();
        let payloads = || messages.iter().map(|m| &*m.payload);
        match Form::of(batch) {
            Form::Lone(message) => {
                let (before, rest) = self.lone.split_once("$1").expect("$1 in statement");
                let (middle, after) = rest.split_once("$2").expect("$2 after $1");
                sql.push_str(before);
                push_literal(sql, [&*message.channel]);
                sql.push_str(middle);
                push_literal(sql, [&*message.payload]);
                sql.push_str(after);
            }
            Form::Lines(channel) => self.lines.push_call(
                sql,
                statements,
                |sql| push_literal(sql, [channel]),
                |sql| push_literal(sql, payloads()),
            ),
            Form::OneChannel(channel) => self.one_channel.push_call(
                sql,
                statements,
                |sql| push_literal(sql, [channel]),
                |sql| push_array(sql, payloads()),
            ),
            Form::ManyChannels => self.many_channels.push_call(
                sql,
                statements,
                |sql| push_array(sql, messages.iter().map(|m| &*m.channel)),
                |sql| push_array(sql, payloads()),
            ),
        }
        sql.push_str(";COMMIT;");
    }
}

impl Statement {
    /// Append a call with two arguments, each written by its function: an EXECUTE of the
    /// prepared statement, or its text with the arguments in place of `$1` and `$2`.
    fn push_call(
        &self,
        sql: &mut String,
        statements: Statements,
        first: impl FnOnce(&mut String),
        second: impl FnOnce(&mut String),
    ) {
        let (before, middle, after) = match statements {
            Statements::Prepared => {
                sql.push_str("EXECUTE ");
                sql.push_str(self.name);
                ("(", ",", ")")
            }
            Statements::Inline => {
                let (before, rest) = self.text.split_once("$1").expect("$1 in statement");
                let (middle, after) = rest.split_once("$2").expect("$2 after $1");
                (before, middle, after)
            }
        };
        sql.push_str(before);
        first(sql);
        sql.push_str(middle);
        second(sql);
        sql.push_str(after);
    }
}

/// How pipelined round trips call the batch statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statements {
    /// EXECUTE statements prepared once per connection ([`Dialect::prepare`]): the server need
    /// not parse and plan each transaction's statement.
    Prepared,
    /// The statement written out in every transaction, for connections whose server session
    /// can change between round trips (a transaction-mode pooler): there a prepared statement
    /// may be missing, or already taken by another client's.
    Inline,
}

/// Which statement sends a batch.
enum Form<'a> {
    /// The lone statement for this message.
    Lone(&'a Message),
    /// The lines statement on this channel.
    Lines(&'a str),
    /// The one-channel statement on this channel.
    OneChannel(&'a str),
    /// The many-channels statement.
    ManyChannels,
}

impl<'a> Form<'a> {
    fn of(batch: &'a Batch) -> Self {
        let messages = &batch.messages;
        let first = match messages.as_slice() {
            [] => return Form::ManyChannels,
            [message] => return Form::Lone(message),
            [message, ..] => &*message.channel,
        };
        if messages.iter().any(|m| *m.channel != *first) {
            Form::ManyChannels
        } else if messages.iter().any(|m| m.payload.contains('\n')) {
            Form::OneChannel(first)
        } else {
            Form::Lines(first)
        }
    }
}

/// The texts joined by newlines, as the lines statement splits them.
fn joined<'a>(texts: impl Iterator<Item = &'a str>) -> String {
    texts.collect::<Vec<_>>().join("\n")
}

/// An `E'...'` literal of `texts` joined by newlines (as the lines statement splits them): with
/// backslashes and quotes doubled it means exactly that text, whatever
/// `standard_conforming_strings` says, so no input can end it early.
fn push_literal<'a>(sql: &mut String, texts: impl IntoIterator<Item = &'a str>) {
    sql.push_str("E'");
    for (i, text) in texts.into_iter().enumerate() {
        if i > 0 {
            sql.push('\n');
        }
        push_escaped(sql, text, |byte| match byte {
            b'\'' => Some("''"),
            b'\\' => Some(r"\\"),
            _ => None,
        });
    }
    sql.push('\'');
}

/// A text-array literal (`E'{"a","b"}'::text[]` without the cast) with every element quoted,
/// so none is read as NULL or trimmed: array quoting (`\"`, `\\`) inside literal quoting.
fn push_array<'a>(sql: &mut String, items: impl Iterator<Item = &'a str>) {
    sql.push_str("E'{");
    for (i, item) in items.enumerate() {
        if i > 0 {
            sql.push(',');
        }
        sql.push('"');
        push_escaped(sql, item, |byte| match byte {
            b'\'' => Some("''"),
            b'"' => Some(r#"\\""#),
            b'\\' => Some(r"\\\\"),
            _ => None,
        });
        sql.push('"');
    }
    sql.push_str("}'");
}

/// Append `text` with the ASCII bytes `escape` names replaced; runs between them are copied
/// whole (a multi-byte character never contains an ASCII byte, so slicing there is safe).
fn push_escaped(sql: &mut String, text: &str, escape: impl Fn(u8) -> Option<&'static str>) {
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if let Some(replacement) = escape(byte) {
            sql.push_str(&text[start..at]);
            sql.push_str(replacement);
            start = at + 1;
        }
    }
    sql.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_double_quotes_and_backslashes() {
        let mut sql = String::new();
        push_literal(&mut sql, [r"it's \'; DROP TABLE x; -- ü"]);
        assert_eq!(sql, r"E'it''s \\''; DROP TABLE x; -- ü'");
    }

    #[test]
    fn statements_render_prepared_or_inline() {
        let plain = Dialect::plain();
        let batch = Batch::of(
            ["a", "it's"]
                .map(|payload| Message {
                    line: 1,
                    channel: "c".into(),
                    payload: payload.into(),
                })
                .to_vec(),
        );
        assert_eq!(
            plain.render_all(std::slice::from_ref(&batch), Statements::Prepared),
            "BEGIN;EXECUTE pgpubsub_lines(E'c',E'a\nit''s');COMMIT;"
        );
        assert_eq!(
            plain.render_all(&[batch], Statements::Inline),
            "BEGIN;SELECT count(pg_notify(E'c', p)) FROM string_to_table(E'a\nit''s', \
             E'\\n') AS t(p);COMMIT;"
        );
    }

    #[test]
    fn arrays_quote_every_element() {
        let mut sql = String::new();
        push_array(
            &mut sql,
            [r#"a"b"#, r"c\", "", "NULL", " {x} ", "it's"].into_iter(),
        );
        assert_eq!(sql, r#"E'{"a\\"b","c\\\\","","NULL"," {x} ","it''s"}'"#);
    }
}
