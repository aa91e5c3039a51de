//! The journal's SQL, generated for one schema: the objects `journal init` creates (a table of
//! records, a table of consumer positions, and `publish()`), what `journal drop` removes, and
//! the statements every reader and writer runs against them. Names go through `pg::quote` only,
//! so a schema called `a"b; DROP TABLE x` is just a schema name.
//!
//! Why the table looks the way it does:
//! - `xid` comes first and `position` second, because PostgreSQL evaluates an INSERT's column
//!   defaults in column order: a row's transaction id is assigned before its position is taken
//!   from the sequence. The reader relies on it: every transaction that took a position up to L
//!   has an id below the `xmax` of any snapshot taken after L was read (see `reader`).
//! - `position` is an identity column with `CACHE 1`: a session that cached positions could
//!   hand out a value below one already read, and no reader could tell it from a gap. Its index
//!   is a plain one, not a primary key: the sequence makes positions unique, and a unique index
//!   costs every insert a check (publishing is measured against plain NOTIFY); appended in
//!   order, its pages are kept full (`fillfactor` 100) and never deduplicated (no duplicates).
//! - Channels are checked where records are published (`pg_notify` refuses a bad channel in
//!   `publish()`, `notify` before sending), not by a constraint on every row.
//! - `payload` is plain text with no 8000-byte limit; the notification carries it only when it
//!   fits (see `wire`).

use crate::limits::MAX_PAYLOAD_BYTES;
use crate::pg::quote::{dollar, ident, literal, qualified};

/// The schema a journal lives in when none is named.
pub const DEFAULT_SCHEMA: &str = "pgpubsub";

/// The start of the COMMENT on every object `journal init` creates: how `status`, `drop` and
/// the readers recognise a journal as pgpubsub's.
pub const MARKER: &str = "pgpubsub journal";

/// The journal's layout version, in its COMMENT; a reader refuses a journal of another one.
pub const VERSION: u32 = 1;

/// The names of one journal's objects, quoted and schema-qualified, ready to paste into SQL.
#[derive(Debug, Clone)]
pub struct Names {
    /// The schema, as given (unquoted).
    pub schema: String,
    /// `"schema"`.
    pub quoted_schema: String,
    /// `"schema"."journal"`.
    pub journal: String,
    /// `"schema"."journal_position"`, the identity sequence.
    pub sequence: String,
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
            sequence: qualified(schema, "journal_position"),
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
            sql.push(format!(
                "COMMENT ON SCHEMA {} IS {}",
                self.quoted_schema,
                literal(&format!("{MARKER} schema"))
            ));
        }
        sql.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  \
               xid pg_catalog.xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),\n  \
               \"position\" bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME {} CACHE 1),\n  \
               channel text NOT NULL,\n  \
               payload text NOT NULL,\n  \
               pid integer NOT NULL DEFAULT pg_catalog.pg_backend_pid(),\n  \
               published_at timestamptz NOT NULL DEFAULT pg_catalog.now()\n)",
            self.journal, self.sequence
        ));
        sql.push(format!(
            "CREATE INDEX IF NOT EXISTS {} ON {} (\"position\") \
             WITH (deduplicate_items = off, fillfactor = 100)",
            ident("journal_position_idx"),
            self.journal
        ));
        sql.push(format!(
            "COMMENT ON TABLE {} IS {}",
            self.journal,
            literal(&Self::table_comment())
        ));
        sql.push(format!(
            "CREATE TABLE IF NOT EXISTS {} (\n  \
               name text PRIMARY KEY,\n  \
               channels text[] NOT NULL,\n  \
               \"position\" bigint NOT NULL,\n  \
               baseline_position bigint,\n  \
               baseline_snapshot pg_catalog.pg_snapshot,\n  \
               created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),\n  \
               updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()\n)",
            self.consumers
        ));
        sql.push(format!(
            "COMMENT ON TABLE {} IS {}",
            self.consumers,
            literal(&format!("{MARKER} consumers"))
        ));
        sql.push(format!(
            "CREATE OR REPLACE FUNCTION {}(channel text, payload text) RETURNS bigint \
             LANGUAGE plpgsql AS {}",
            self.publish,
            dollar(&self.publish_body())
        ));
        sql.push(format!(
            "COMMENT ON FUNCTION {}(text, text) IS {}",
            self.publish,
            literal(&format!("{MARKER} publish"))
        ));
        sql
    }

    /// `publish(channel, payload)`: append the record and notify its channel with the position
    /// (and the payload when both fit in one notification: see `wire`), in the caller's
    /// transaction; returns the position. The notification is sent by an assignment, which
    /// plpgsql evaluates as a simple expression (PERFORM would start an executor per call).
    fn publish_body(&self) -> String {
        format!(
            "\nDECLARE\n  pos bigint;\n  sent text;  -- pg_notify's (empty) result\nBEGIN\n  \
             INSERT INTO {} (xid, channel, payload)\n    \
             VALUES (pg_catalog.pg_current_xact_id(), publish.channel, publish.payload)\n    \
             RETURNING \"position\" INTO pos;\n  \
             sent := pg_catalog.pg_notify(publish.channel, {})::text;\n  \
             RETURN pos;\nEND\n",
            self.journal,
            notification("pos", "publish.payload")
        )
    }

    /// The statements of `journal drop`: the function, both tables (the sequence goes with its
    /// identity column), and the schema when `drop_schema` (pgpubsub created it and nothing
    /// else is in it).
    pub fn drop(&self, drop_schema: bool) -> Vec<String> {
        let mut sql = vec![
            format!("DROP FUNCTION IF EXISTS {}(text, text)", self.publish),
            format!("DROP TABLE IF EXISTS {}", self.consumers),
            format!("DROP TABLE IF EXISTS {}", self.journal),
        ];
        if drop_schema {
            sql.push(format!("DROP SCHEMA {}", self.quoted_schema));
        }
        sql
    }
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
    fn xid_is_the_first_column_and_position_the_second() {
        let sql = &Names::new("s").init(false)[0];
        let xid = sql.find("xid pg_catalog.xid8").unwrap();
        let position = sql.find("\"position\" bigint").unwrap();
        let channel = sql.find("channel text").unwrap();
        assert!(xid < position && position < channel, "{sql}");
        assert!(sql.contains("CACHE 1"), "{sql}");
    }

    #[test]
    fn drop_removes_what_init_creates() {
        let names = Names::new("s");
        let created = names.init(true).join("\n");
        let dropped = names.drop(true).join("\n");
        for object in [&names.journal, &names.consumers, &names.publish] {
            assert!(created.contains(object.as_str()) && dropped.contains(object.as_str()));
        }
        assert!(dropped.contains("DROP SCHEMA \"s\""));
        assert!(!names.drop(false).join("\n").contains("DROP SCHEMA"));
    }
}
