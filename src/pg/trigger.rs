//! The SQL of a pgpubsub notify trigger, generated from a [`Spec`]: one plpgsql function per
//! (table, channel), baked for exactly the events, columns and key asked for (no per-row
//! argument parsing or catalog lookups), and the triggers that call it. `trigger add`, its
//! `--dry-run` and the demo all run this text.
//!
//! Payload: `{"schema","table","op","new","old"}`: `new` for INSERT/UPDATE, `old` for
//! UPDATE/DELETE, each the row as `row_to_json` writes it (or only `--columns`); TRUNCATE is one
//! statement-level `{"schema","table","op"}`. When the payload would reach PostgreSQL's limit
//! (its byte length in the database encoding, `octet_length`, not characters), `new`/`old` hold
//! the primary key columns only and `"truncated": true` is added; if even that is too long (or
//! the table has no key) the payload is `{"schema","table","op","truncated":true}`. So the
//! application's write never fails because of the trigger.
//!
//! Every object carries a COMMENT starting with [`MARKER`] followed by its [`Marker`] as JSON:
//! that is how `list` and `remove` know an object is pgpubsub's, and what it was made with.

use super::quote::{dollar, ident, literal, qualified};
use crate::limits::MAX_PAYLOAD_BYTES;
use serde::{Deserialize, Serialize};

/// The start of the COMMENT on every trigger and function pgpubsub installs.
pub const MARKER: &str = "pgpubsub trigger ";

/// Longest identifier PostgreSQL keeps (NAMEDATALEN - 1); longer names would be truncated.
const MAX_NAME_BYTES: usize = 63;

/// Most columns `json_build_object` takes (100 arguments, two per column).
pub const MAX_COLUMNS: usize = 50;

/// A row change that can fire the trigger, in the order they are listed everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    Insert,
    Update,
    Delete,
    Truncate,
}

impl Event {
    /// The SQL keyword (and `TG_OP` value).
    pub fn keyword(self) -> &'static str {
        match self {
            Event::Insert => "INSERT",
            Event::Update => "UPDATE",
            Event::Delete => "DELETE",
            Event::Truncate => "TRUNCATE",
        }
    }

    /// The lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Event::Insert => "insert",
            Event::Update => "update",
            Event::Delete => "delete",
            Event::Truncate => "truncate",
        }
    }
}

/// What a trigger was made with; stored as JSON in the COMMENT on its objects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub channel: String,
    pub events: Vec<Event>,
    /// The columns sent, or `None` for the whole row.
    pub columns: Option<Vec<String>>,
    /// The primary key columns sent when a row is too long; empty for a key-less table.
    pub key: Vec<String>,
    /// `--durable`: rows go to the journal in this schema (whole, whatever their length).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
}

impl Marker {
    /// The COMMENT text.
    pub fn comment(&self) -> String {
        format!(
            "{MARKER}{}",
            serde_json::to_string(self).expect("a marker is plain data")
        )
    }

    /// Read a COMMENT; `None` when it is not pgpubsub's.
    pub fn parse(comment: &str) -> Option<Marker> {
        serde_json::from_str(comment.strip_prefix(MARKER)?).ok()
    }
}

/// Everything the generator needs: where, and the [`Marker`] to build.
#[derive(Debug, Clone)]
pub struct Spec {
    pub schema: String,
    pub table: String,
    /// A partitioned table: its row triggers fire on its partitions, so events name both.
    pub partitioned: bool,
    pub marker: Marker,
}

/// The names of the objects for one (table, channel): derived from them, so predictable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The FOR EACH ROW trigger (insert, update, delete).
    pub row_trigger: String,
    /// The FOR EACH STATEMENT trigger (truncate).
    pub truncate_trigger: String,
    /// The function, in the table's schema.
    pub function: String,
}

impl Names {
    /// `pgpubsub_row_CHANNEL`, `pgpubsub_truncate_CHANNEL` (trigger names are per table) and
    /// `pgpubsub_TABLE_CHANNEL_HASH` (function names are per schema, and `a_b`+`c` must not
    /// meet `a`+`b_c`); names over 63 bytes are cut and end in a hash of the whole.
    pub fn new(table: &str, channel: &str) -> Names {
        let hash = fnv(&[table, channel]);
        Names {
            row_trigger: fit(format!("pgpubsub_row_{channel}")),
            truncate_trigger: fit(format!("pgpubsub_truncate_{channel}")),
            function: fit(format!("pgpubsub_{table}_{channel}_{hash:08x}")),
        }
    }
}

/// `name` if it fits in an identifier, else its first bytes and a hash of all of it.
fn fit(name: String) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name;
    }
    let mut cut = MAX_NAME_BYTES - 9;
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{:08x}", &name[..cut], fnv(&[&name]))
}

/// 32 bits of FNV-1a over `parts` (NUL-separated): stable across versions and platforms,
/// which is all a name needs.
fn fnv(parts: &[&str]) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, part) in parts.iter().enumerate() {
        let sep: &[u8] = if i == 0 { b"" } else { b"\0" };
        for &byte in sep.iter().chain(part.as_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (hash ^ (hash >> 32)) as u32
}

/// A trigger already in the database (found by its marker), to drop or replace.
#[derive(Debug, Clone)]
pub struct Installed {
    pub schema: String,
    pub table: String,
    pub trigger: String,
    /// The function it calls (schema, name), when that is pgpubsub's too (marked): a function
    /// pgpubsub did not make is never dropped.
    pub function: Option<(String, String)>,
}

/// The statements of `trigger add`: `replace` drops what an earlier `add` for the same table
/// and channel made (idempotent: `IF EXISTS`), `create` makes the function, triggers and
/// comments. Run in one transaction.
pub struct Script {
    pub replace: Vec<String>,
    pub create: Vec<String>,
}

impl Script {
    /// Every statement, in order.
    pub fn statements(&self) -> impl Iterator<Item = &String> {
        self.replace.iter().chain(&self.create)
    }

    /// The script as a migration file would hold it: one transaction.
    pub fn to_sql(&self) -> String {
        transaction(self.statements())
    }
}

/// `statements` wrapped in BEGIN/COMMIT, one per line (for `--dry-run`).
pub fn transaction<'a>(statements: impl Iterator<Item = &'a String>) -> String {
    let mut sql = "BEGIN;\n".to_string();
    for statement in statements {
        sql.push_str(statement);
        sql.push_str(";\n");
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// Generate `add`'s statements for `spec`, replacing `existing` (the triggers found for this
/// table and channel).
pub fn install(spec: &Spec, existing: &[Installed]) -> Script {
    let names = Names::new(&spec.table, &spec.marker.channel);
    let table = qualified(&spec.schema, &spec.table);
    let function = qualified(&spec.schema, &names.function);
    let mut replace: Vec<String> = Vec::new();
    let mut drop_trigger = |name: &str| {
        let sql = format!("DROP TRIGGER IF EXISTS {} ON {table}", ident(name));
        if !replace.contains(&sql) {
            replace.push(sql);
        }
    };
    drop_trigger(&names.row_trigger);
    drop_trigger(&names.truncate_trigger);
    for old in existing {
        drop_trigger(&old.trigger);
    }
    for (schema, name) in existing.iter().filter_map(|old| old.function.as_ref()) {
        let sql = format!("DROP FUNCTION IF EXISTS {}()", qualified(schema, name));
        if (schema, name) != (&spec.schema, &names.function) && !replace.contains(&sql) {
            replace.push(sql);
        }
    }

    let comment = literal(&spec.marker.comment());
    let mut create = vec![
        format!(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS {}",
            dollar(&body(spec))
        ),
        format!("COMMENT ON FUNCTION {function}() IS {comment}"),
    ];
    let row_events: Vec<&str> = spec
        .marker
        .events
        .iter()
        .filter(|e| **e != Event::Truncate)
        .map(|e| e.keyword())
        .collect();
    if !row_events.is_empty() {
        let trigger = ident(&names.row_trigger);
        create.push(format!(
            "CREATE TRIGGER {trigger} AFTER {} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()",
            row_events.join(" OR ")
        ));
        create.push(format!(
            "COMMENT ON TRIGGER {trigger} ON {table} IS {comment}"
        ));
    }
    if spec.marker.events.contains(&Event::Truncate) {
        let trigger = ident(&names.truncate_trigger);
        create.push(format!(
            "CREATE TRIGGER {trigger} AFTER TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        ));
        create.push(format!(
            "COMMENT ON TRIGGER {trigger} ON {table} IS {comment}"
        ));
    }
    Script { replace, create }
}

/// The statements of `trigger remove`: each trigger, then each function no remaining
/// trigger calls (`others` are the pgpubsub triggers that stay).
pub fn uninstall(remove: &[Installed], others: &[Installed]) -> Vec<String> {
    let mut sql: Vec<String> = remove
        .iter()
        .map(|t| {
            format!(
                "DROP TRIGGER {} ON {}",
                ident(&t.trigger),
                qualified(&t.schema, &t.table)
            )
        })
        .collect();
    for function @ (schema, name) in remove.iter().filter_map(|t| t.function.as_ref()) {
        let drop = format!("DROP FUNCTION {}()", qualified(schema, name));
        let still_used = others.iter().any(|o| o.function.as_ref() == Some(function));
        if !still_used && !sql.contains(&drop) {
            sql.push(drop);
        }
    }
    sql
}

/// The plpgsql body: one branch per event asked for, each with its fallback, checked only
/// when the full payload is too long. `pg_notify` is called in an assignment rather than by
/// PERFORM: an assignment is evaluated as a simple expression, while PERFORM starts an executor
/// for every row, which made the trigger cost 15 % more per row than the seed's. A durable
/// trigger hands the whole payload to the journal's `publish()`, which has no length limit
/// (the notification then carries only the position), so it needs no fallback.
///
/// On a partitioned table a row trigger fires on the partition the row is in (TG_TABLE_NAME
/// names it) while a TRUNCATE trigger fires on the table truncated, so every event names the
/// table the trigger was added to as `table`, and the partition as `partition` (null for a
/// TRUNCATE, which empties them all).
fn body(spec: &Spec) -> String {
    let marker = &spec.marker;
    let head = if spec.partitioned {
        format!(
            "'schema', {}, 'table', {}, 'partition', CASE WHEN TG_LEVEL = 'ROW' THEN \
             TG_TABLE_NAME END, 'op', TG_OP",
            literal(&spec.schema),
            literal(&spec.table)
        )
    } else {
        "'schema', TG_TABLE_SCHEMA, 'table', TG_TABLE_NAME, 'op', TG_OP".to_string()
    };
    let object = |fields: &str| format!("pg_catalog.json_build_object({head}{fields})::text");
    let bare = object(", 'truncated', true");
    let too_long = format!("pg_catalog.octet_length(payload) > {MAX_PAYLOAD_BYTES}");
    let row = |var: &str| match &marker.columns {
        None => format!("pg_catalog.row_to_json({var})"),
        Some(columns) => fields(var, columns),
    };
    let key = |var: &str| fields(var, &marker.key);
    let notify = |payload: &str| match &marker.journal {
        Some(schema) => format!(
            "sent := {}({}, {payload})::text;",
            qualified(schema, "publish"),
            literal(&marker.channel)
        ),
        None => format!(
            "sent := pg_catalog.pg_notify({}, {payload})::text;",
            literal(&marker.channel)
        ),
    };

    let mut sql = String::from(
        "\nDECLARE\n  payload text;\n  sent text;  -- pg_notify's (empty) result\nBEGIN\n",
    );
    if marker.events.contains(&Event::Truncate) {
        sql.push_str(&format!(
            "  IF TG_OP = 'TRUNCATE' THEN\n    {}\n    RETURN NULL;\n  END IF;\n",
            notify(&object("")),
        ));
    }
    let mut first = true;
    for event in marker.events.iter().filter(|e| **e != Event::Truncate) {
        let vars: &[(&str, &str)] = match event {
            Event::Insert => &[("new", "NEW")],
            Event::Update => &[("new", "NEW"), ("old", "OLD")],
            _ => &[("old", "OLD")],
        };
        let full: String = vars
            .iter()
            .map(|(k, v)| format!(", '{k}', {}", row(v)))
            .collect();
        let fallback = if marker.key.is_empty() {
            format!("payload := {bare};")
        } else {
            let keys: String = vars
                .iter()
                .map(|(k, v)| format!(", '{k}', {}", key(v)))
                .collect();
            format!(
                "payload := {};\n      IF {too_long} THEN\n        payload := {bare};\n      END IF;",
                object(&format!("{keys}, 'truncated', true"))
            )
        };
        let check = match marker.journal {
            Some(_) => String::new(),
            None => format!("\n    IF {too_long} THEN\n      {fallback}\n    END IF;"),
        };
        sql.push_str(&format!(
            "  {}IF TG_OP = '{}' THEN\n    payload := {};{check}\n",
            if first { "" } else { "ELS" },
            event.keyword(),
            object(&full),
        ));
        first = false;
    }
    if !first {
        sql.push_str(&format!("  END IF;\n  {}\n", notify("payload")));
    }
    sql.push_str("  RETURN NULL;\nEND\n");
    sql
}

/// `json_build_object('a', VAR."a", ...)`: chosen columns under their own names.
fn fields(var: &str, columns: &[String]) -> String {
    let pairs: Vec<String> = columns
        .iter()
        .map(|c| format!("{}, {var}.{}", literal(c), ident(c)))
        .collect();
    format!("pg_catalog.json_build_object({})", pairs.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Event; 4] = [Event::Insert, Event::Update, Event::Delete, Event::Truncate];

    fn spec(events: &[Event], columns: Option<&[&str]>, key: &[&str]) -> Spec {
        Spec {
            schema: "App".into(),
            table: "Order \"Lines\"".into(),
            partitioned: false,
            marker: Marker {
                channel: "it's".into(),
                events: events.to_vec(),
                columns: columns.map(|c| c.iter().map(|s| s.to_string()).collect()),
                key: key.iter().map(|s| s.to_string()).collect(),
                journal: None,
            },
        }
    }

    #[test]
    fn names_are_predictable_and_fit() {
        let names = Names::new("orders", "orders");
        assert_eq!(names.row_trigger, "pgpubsub_row_orders");
        assert_eq!(names.truncate_trigger, "pgpubsub_truncate_orders");
        assert!(names.function.starts_with("pgpubsub_orders_orders_"));
        assert_eq!(names, Names::new("orders", "orders"));
        assert_ne!(
            Names::new("a_b", "c").function,
            Names::new("a", "b_c").function
        );
        let long = Names::new(&"t".repeat(63), &"€".repeat(21));
        for name in [&long.row_trigger, &long.truncate_trigger, &long.function] {
            assert!(name.len() <= MAX_NAME_BYTES, "{name}");
        }
        assert_ne!(
            Names::new("t", &"c".repeat(60)).row_trigger,
            Names::new("t", &format!("{}d", "c".repeat(59))).row_trigger
        );
    }

    #[test]
    fn markers_round_trip_and_foreign_comments_are_not_ours() {
        let marker = spec(&ALL, Some(&["a"]), &["id"]).marker;
        assert_eq!(Marker::parse(&marker.comment()), Some(marker));
        assert_eq!(Marker::parse("my own trigger"), None);
        assert_eq!(Marker::parse("pgpubsub trigger nonsense"), None);
    }

    #[test]
    fn only_the_events_asked_for_are_generated() {
        let script = install(&spec(&[Event::Insert], None, &["id"]), &[]);
        let sql = script.to_sql();
        assert!(sql.contains("AFTER INSERT ON \"App\".\"Order \"\"Lines\"\"\" FOR EACH ROW"));
        assert!(
            !sql.contains("UPDATE") && !sql.contains("TRUNCATE"),
            "{sql}"
        );
        assert!(
            sql.contains("sent := pg_catalog.pg_notify('it''s', payload)::text;"),
            "{sql}"
        );
        let sql = install(&spec(&[Event::Truncate], None, &[]), &[]).to_sql();
        assert!(sql.contains("FOR EACH STATEMENT"), "{sql}");
        assert!(!sql.contains("FOR EACH ROW"), "{sql}");
    }

    #[test]
    fn durable_triggers_publish_whole_rows_into_the_journal() {
        let mut durable = spec(&ALL, None, &["id"]);
        durable.marker.journal = Some("my \"journal\"".into());
        let sql = install(&durable, &[]).to_sql();
        assert!(
            sql.contains("sent := \"my \"\"journal\"\"\".\"publish\"('it''s', payload)::text;"),
            "{sql}"
        );
        assert!(
            !sql.contains("truncated") && !sql.contains("octet_length"),
            "{sql}"
        );
        assert!(!sql.contains("pg_catalog.pg_notify("), "{sql}");
    }

    #[test]
    fn columns_and_keys_are_quoted_in_the_body() {
        let sql = install(&spec(&[Event::Update], Some(&["say \"hi\""]), &["Id"]), &[]).to_sql();
        assert!(
            sql.contains("'say \"hi\"', NEW.\"say \"\"hi\"\"\""),
            "{sql}"
        );
        assert!(sql.contains("'new', pg_catalog.json_build_object('Id', NEW.\"Id\"), 'old', pg_catalog.json_build_object('Id', OLD.\"Id\"), 'truncated', true"), "{sql}");
        assert!(sql.contains("octet_length(payload) > 7999"), "{sql}");
    }

    #[test]
    fn replacing_drops_old_objects_but_not_the_function_reused() {
        let s = spec(&ALL, None, &["id"]);
        let names = Names::new(&s.table, &s.marker.channel);
        let old = |function: &str| Installed {
            schema: "App".into(),
            table: s.table.clone(),
            trigger: names.row_trigger.clone(),
            function: Some(("App".into(), function.into())),
        };
        let same = install(&s, &[old(&names.function)]);
        assert_eq!(same.replace.len(), 2, "{:?}", same.replace);
        let renamed = install(&s, &[old("pgpubsub_old")]);
        assert_eq!(
            renamed.replace.last().unwrap(),
            "DROP FUNCTION IF EXISTS \"App\".\"pgpubsub_old\"()"
        );
    }

    #[test]
    fn a_shared_function_is_dropped_with_its_last_trigger() {
        let t = |trigger: &str| Installed {
            schema: "s".into(),
            table: "t".into(),
            trigger: trigger.into(),
            function: Some(("s".into(), "f".into())),
        };
        assert_eq!(uninstall(&[t("a")], &[t("b")]).len(), 1);
        assert_eq!(uninstall(&[t("a"), t("b")], &[]).len(), 3);
        let foreign = Installed {
            function: None,
            ..t("c")
        };
        assert_eq!(uninstall(&[foreign], &[]).len(), 1);
    }
}
