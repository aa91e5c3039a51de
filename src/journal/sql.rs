//! The journal's SQL, generated for one schema: the objects `journal init` creates (a table of
//! records, a table of consumer positions, and `publish()`), what `journal drop` removes, and
//! the statements every reader and writer runs against them. Names go through `pg::quote` only,
//! so a schema called `a"b; DROP TABLE x` is just a schema name.
//!
//! Why the table looks the way it does:
//! - A row is a **batch**: the records one statement published. `publish()` (and a durable
//!   trigger) writes batches of one record (`channel`, `payload`); `notify --durable` writes
//!   up to [`BATCH`] records per row (`payloads`, with one `channel` or a `channels` array),
//!   because one row per record cost the server four times what plain NOTIFY costs (an index
//!   entry and a sequence value per record), and one server backend is a fast stream's
//!   bottleneck. The arrays are stored uncompressed (`STORAGE EXTERNAL`): compressing them
//!   costs the publisher more than the disk it saves.
//! - A record's **position** is `batch * BATCH + its index in the batch`: ordered as the
//!   records were published, unique, and what listeners print, consumers store and `--since`
//!   takes. The view `records` shows one row per record, with its position.
//! - `xid` comes first and `batch` second, because PostgreSQL evaluates an INSERT's column
//!   defaults in column order: a row's transaction id is assigned before its batch number is
//!   taken from the sequence. The reader relies on it: every transaction that took a batch
//!   number up to L has an id below the `xmax` of any snapshot taken after L was read (see
//!   `reader`).
//! - `batch` is an identity column with `CACHE 1`: a session that cached numbers could hand out
//!   one below a number already read, and no reader could tell it from a gap. Its index is a
//!   plain one, not a primary key: the sequence makes numbers unique, and a unique index costs
//!   every insert a check; appended in order, its pages are kept full (`fillfactor` 100).
//! - Channels are checked where records are published (`pg_notify` refuses a bad channel in
//!   `publish()`, `notify` before sending), not by a constraint on every row.
//! - Payloads are plain text with no 8000-byte limit; the notification carries one only when
//!   it fits (see `wire`).

use crate::limits::MAX_PAYLOAD_BYTES;
use crate::pg::quote::{dollar, ident, literal, qualified};

/// The schema a journal lives in when none is named.
pub const DEFAULT_SCHEMA: &str = "pgpubsub";

/// The start of the COMMENT on every object `journal init` creates: how `status`, `drop` and
/// the readers recognise a journal as pgpubsub's.
pub const MARKER: &str = "pgpubsub journal";

/// The journal's layout version, in its COMMENT; a reader refuses a journal of another one.
pub const VERSION: u32 = 2;

/// Most records in one batch (one journal row), and the step between the positions of two
/// batches: record `i` of batch `b` is at position `b * BATCH + i`.
pub const BATCH: i64 = 10_000;

/// The batch that holds the record at `position`.
pub fn batch_of(position: i64) -> i64 {
    position.div_euclid(BATCH)
}

/// The highest position batch `batch` could hold: "everything up to batch B" as a position.
pub fn end_of(batch: i64) -> i64 {
    batch * BATCH + BATCH - 1
}

/// The names of one journal's objects, quoted and schema-qualified, ready to paste into SQL.
#[derive(Debug, Clone)]
pub struct Names {
    /// The schema, as given (unquoted).
    pub schema: String,
    /// `"schema"`.
    pub quoted_schema: String,
    /// `"schema"."journal"`.
    pub journal: String,
    /// `"schema"."journal_batch"`, the identity sequence.
    pub sequence: String,
    /// `"schema"."records"`, the view of one row per record.
    pub records: String,
    /// `"schema"."consumers"`.
    pub consumers: String,
    /// `"schema"."publish"`.
    pub publish: String,
}

impl Names {
    /// The objects of the journal in `schema`.
    pub fn new(schema: &str) -> Names {
        Names {
            schema: schema.to_string(),
            quoted_schema: ident(schema),
            journal: qualified(schema, "journal"),
            sequence: qualified(schema, "journal_batch"),
            records: qualified(schema, "records"),
            consumers: qualified(schema, "consumers"),
            publish: qualified(schema, "publish"),
        }
    }

    /// The COMMENT that marks the journal table (and carries the layout version).
    pub fn table_comment() -> String {
        format!("{MARKER} {{\"version\":{VERSION}}}")
    }

    /// The statements of `journal init`, in order; `create_schema` when the schema does not
    /// exist yet (it is then marked as pgpubsub's, so that `drop` may remove it again).
    pub fn init(&self, create_schema: bool) -> Vec<String> {
        let mut sql = Vec::new();
        if create_schema {
            sql.push(format!("CREATE SCHEMA {}", self.quoted_schema));
            sql.push(self.comment("SCHEMA", &self.quoted_schema, "schema"));
        }
        sql.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  \
               xid pg_catalog.xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),\n  \
               batch bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME {} CACHE 1),\n  \
               count integer NOT NULL DEFAULT 1,\n  \
               channel text,\n  \
               payload text,\n  \
               channels text[],\n  \
               payloads text[],\n  \
               pid integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),\n  \
               published_at timestamptz NOT NULL DEFAULT pg_catalog.now()\n)",
            self.journal, self.sequence
        ));
        sql.push(format!(
            "ALTER TABLE {} ALTER channels SET STORAGE EXTERNAL, \
             ALTER payloads SET STORAGE EXTERNAL",
            self.journal
        ));
        sql.push(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} (batch) \
             WITH (deduplicate_items = off, fillfactor = 100)",
            ident("journal_batch_idx"),
            self.journal
        ));
        sql.push(format!(
            "COMMENT ON TABLE {} IS {}",
            self.journal,
            literal(&Self::table_comment())
        ));
        sql.push(format!(
            "CREATE OR REPLACE VIEW {} AS\n  SELECT {}\n  FROM {} j, {}",
            self.records,
            "r.\"position\", r.channel, r.payload, j.pid, j.published_at, j.batch, j.xid",
            self.journal,
            expand("j", "r")
        ));
        sql.push(self.comment("VIEW", &self.records, "records"));
        sql.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  \
               name text PRIMARY KEY,\n  \
               channels text[] NOT NULL,\n  \
               \"position\" bigint NOT NULL,\n  \
               baseline_batch bigint,\n  \
               baseline_snapshot pg_catalog.pg_snapshot,\n  \
               created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),\n  \
               updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()\n)",
            self.consumers
        ));
        sql.push(self.comment("TABLE", &self.consumers, "consumers"));
        sql.push(format!(
            "CREATE OR REPLACE FUNCTION {}(channel text, payload text) RETURNS bigint \
             LANGUAGE plpgsql AS {}",
            self.publish,
            dollar(&self.publish_body())
        ));
        sql.push(self.comment(
            "FUNCTION",
            &format!("{}(text, text)", self.publish),
            "publish",
        ));
        sql
    }

    /// `COMMENT ON KIND OBJECT IS 'pgpubsub journal WHAT'`.
    fn comment(&self, kind: &str, object: &str, what: &str) -> String {
        format!(
            "COMMENT ON {kind} {object} IS {}",
            literal(&format!("{MARKER} {what}"))
        )
    }

    /// `publish(channel, payload)`: append the record (a batch of one) and notify its channel
    /// with the position (and the payload when both fit in one notification: see `wire`), in
    /// the caller's transaction; returns the position. The notification is sent by an
    /// assignment, which plpgsql evaluates as a simple expression (PERFORM would start an
    /// executor per call).
    fn publish_body(&self) -> String {
        format!(
            "\nDECLARE\n  pos bigint;\n  sent text;  -- pg_notify's (empty) result\nBEGIN\n  \
             INSERT INTO {} (xid, channel, payload)\n    \
             VALUES (pg_catalog.pg_current_xact_id(), publish.channel, publish.payload)\n    \
             RETURNING batch * {BATCH} INTO pos;\n  \
             sent := pg_catalog.pg_notify(publish.channel, {})::text;\n  \
             RETURN pos;\nEND\n",
            self.journal,
            notification("pos", "publish.payload")
        )
    }

    /// The statement that appends records as batches of up to [`BATCH`] (in order, one row
    /// each) and wakes each channel once per batch with the range of its positions. Each
    /// argument is a SQL expression used once: every record's channel (text, or NULL with
    /// `channels`), each record's channel (text[] or NULL), and the payloads (text[]). A
    /// list of up to [`BATCH`] records goes in whole, without slicing a copy.
    pub fn append(&self, channel: &str, channels: &str, payloads: &str) -> String {
        let slice = |array: &str| {
            format!(
                "CASE WHEN pg_catalog.cardinality(a.ps) <= {BATCH} THEN {array} \
                 ELSE {array}[k:k + {}] END",
                BATCH - 1
            )
        };
        format!(
            "WITH a AS (SELECT {channel} AS ch, {channels} AS cs, {payloads} AS ps), \
             r AS (INSERT INTO {journal} (xid, count, channel, channels, payloads) \
             SELECT pg_catalog.pg_current_xact_id(), \
             LEAST(pg_catalog.cardinality(a.ps) - k + 1, {BATCH}), a.ch, {cs}, {ps} \
             FROM a, pg_catalog.generate_series(1, pg_catalog.cardinality(a.ps), {BATCH}) AS k \
             ORDER BY k RETURNING batch, count, channel, channels) \
             SELECT count(pg_catalog.pg_notify(d.c, {range})) FROM r, LATERAL (SELECT DISTINCT \
             x FROM pg_catalog.unnest(coalesce(r.channels, ARRAY[r.channel])) AS x) AS d(c)",
            journal = self.journal,
            cs = slice("a.cs"),
            ps = slice("a.ps"),
            range = super::wire::range(
                &format!("(r.batch * {BATCH})"),
                &format!("(r.batch * {BATCH} + r.count - 1)")
            ),
        )
    }

    /// The statements of `journal drop`: the function, the view, both tables (the sequence
    /// goes with its identity column), and the schema when `drop_schema` (pgpubsub created it
    /// and nothing else is in it) as the last.
    pub fn drop(&self, drop_schema: bool) -> Vec<String> {
        let mut sql = vec![
            format!("DROP FUNCTION IF EXISTS {}(text, text)", self.publish),
            format!("DROP VIEW IF EXISTS {}", self.records),
            format!("DROP TABLE IF EXISTS {}", self.consumers),
            format!("DROP TABLE IF EXISTS {}", self.journal),
        ];
        if drop_schema {
            sql.push(format!("DROP SCHEMA {}", self.quoted_schema));
        }
        sql
    }
}

/// A FROM item that turns journal row `row` into one row per record (`alias`: "position",
/// channel, payload, in order), for a query that reads records rather than batches: a batch
/// of one keeps its record in `channel` and `payload`, a bigger one in the arrays.
pub fn expand(row: &str, alias: &str) -> String {
    format!(
        "LATERAL (SELECT {row}.batch * {BATCH} + e.i - 1 AS \"position\", \
         coalesce({row}.channel, e.c) AS channel, coalesce({row}.payload, e.p) AS payload \
         FROM ROWS FROM (pg_catalog.unnest(coalesce({row}.payloads, ARRAY[NULL::text])), \
         pg_catalog.unnest({row}.channels)) WITH ORDINALITY AS e(p, c, i)) AS {alias}"
    )
}

/// The SQL expression of a record's notification payload, from the SQL expressions of its
/// position (bigint) and payload (text): `POSITION:PAYLOAD` when that fits in a notification,
/// else `POSITION` alone (the listener then reads the record from the journal).
pub fn notification(position: &str, payload: &str) -> String {
    format!(
        "CASE WHEN pg_catalog.octet_length({payload}) + pg_catalog.length({position}::text) \
         < {MAX_PAYLOAD_BYTES} THEN {position}::text || ':' || {payload} ELSE {position}::text END"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_schema_names_stay_names() {
        let names = Names::new("a\"b; DROP TABLE x; --");
        let sql = names.init(true).join(";\n");
        assert!(
            sql.contains("CREATE SCHEMA \"a\"\"b; DROP TABLE x; --\""),
            "{sql}"
        );
        assert!(
            sql.contains("\"a\"\"b; DROP TABLE x; --\".\"journal\""),
            "{sql}"
        );
        assert!(!sql.contains("CREATE SCHEMA a"), "{sql}");
    }

    #[test]
    fn xid_is_the_first_column_and_batch_the_second() {
        let sql = &Names::new("s").init(false)[0];
        let xid = sql.find("xid pg_catalog.xid8").unwrap();
        let position = sql.find("batch bigint").unwrap();
        let channel = sql.find("count integer").unwrap();
        assert!(xid < position && position < channel, "{sql}");
        assert!(sql.contains("CACHE 1"), "{sql}");
    }

    #[test]
    fn drop_removes_what_init_creates() {
        let names = Names::new("s");
        let created = names.init(true).join("\n");
        let dropped = names.drop(true).join("\n");
        for object in [
            &names.journal,
            &names.records,
            &names.consumers,
            &names.publish,
        ] {
            assert!(created.contains(object.as_str()) && dropped.contains(object.as_str()));
        }
        assert!(dropped.contains("DROP SCHEMA \"s\""));
        assert!(!names.drop(false).join("\n").contains("DROP SCHEMA"));
    }

    #[test]
    fn positions_number_the_records_of_each_batch() {
        assert_eq!((batch_of(0), batch_of(9_999), batch_of(10_000)), (0, 0, 1));
        assert_eq!(end_of(3), 39_999);
        assert_eq!(batch_of(end_of(7)), 7);
    }
}
