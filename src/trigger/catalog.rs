//! What `trigger` reads from the catalogs: the table a name resolves to (with what the role
//! may do to it), and the triggers pgpubsub installed, recognized by their COMMENT marker.
//! Names go to the server as bind parameters or through `pg::quote`, never pasted raw.

use crate::error::{usage, Error, Result};
use crate::pg::quote::TableName;
use crate::pg::trigger::{Installed, Marker, MARKER};
use anyhow::anyhow;
use sqlx::postgres::PgConnection;

/// A table as the server knows it.
#[derive(Debug)]
pub struct Table {
    pub oid: i64,
    pub schema: String,
    pub name: String,
    /// Schema-qualified, quoted only where needed (the server's `quote_ident`), for messages.
    pub display: String,
    /// Columns in order (dropped ones left out).
    pub columns: Vec<String>,
    /// Primary key columns in key order; empty without a primary key.
    pub key: Vec<String>,
    owner: String,
    /// This role is the owner or a member of the owning role.
    owned: bool,
    /// This role may CREATE in the table's schema.
    create: bool,
    /// The server is a standby.
    standby: bool,
    /// A partitioned table (its row events happen in its partitions).
    pub partitioned: bool,
}

/// Resolve `name` (search_path applies when no schema is given) to an ordinary or partitioned
/// table: a usage error when there is none.
pub async fn table(conn: &mut PgConnection, name: &TableName) -> Result<Table> {
    let row: Option<TableRow> = sqlx::query_as(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text,
                pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner)::text,
                pg_catalog.pg_has_role(c.relowner, 'USAGE'),
                pg_catalog.has_schema_privilege(n.oid, 'CREATE'),
                pg_catalog.pg_is_in_recovery(),
                ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
                      WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                      ORDER BY a.attnum),
                ARRAY(SELECT a.attname::text
                      FROM pg_catalog.pg_index i,
                           unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord),
                           pg_catalog.pg_attribute a
                      WHERE i.indrelid = c.oid AND i.indisprimary
                        AND a.attrelid = c.oid AND a.attnum = k.attnum
                      ORDER BY k.ord)
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.oid = pg_catalog.to_regclass($1)",
    )
    .bind(name.to_sql())
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| anyhow!("cannot look up table {}: {e}", shown(name)))?;
    let Some(row) = row else {
        return Err(usage(format!("table {} does not exist", shown(name))));
    };
    let (oid, schema, relname, display, kind, owner, owned, create, standby, columns, key) = row;
    if !matches!(kind.as_str(), "r" | "p") {
        return Err(usage(format!("{display} is not a table")));
    }
    Ok(Table {
        oid,
        schema,
        name: relname,
        display,
        owner,
        owned,
        create,
        standby,
        columns,
        key,
        partitioned: kind == "p",
    })
}

impl Table {
    /// Refuse, with a clear error, unless this role may change the table's triggers here: on a
    /// primary, as its owner (COMMENT ON TRIGGER needs ownership), and with `need_create`
    /// also CREATE on its schema (where `add` puts the function).
    pub fn check_changeable(&self, need_create: bool) -> Result<()> {
        if self.standby {
            return Err(anyhow!(
                "the server is a standby (read-only): connect to the primary to change triggers"
            )
            .into());
        }
        if !self.owned {
            return Err(anyhow!(
                "must be the owner of table {} (owned by {}) to change its triggers",
                self.display,
                self.owner
            )
            .into());
        }
        if need_create && !self.create {
            return Err(anyhow!(
                "no CREATE privilege on schema {}, where the trigger function goes",
                crate::pg::quote::ident(&self.schema)
            )
            .into());
        }
        Ok(())
    }
}

type TableRow = (
    i64,
    String,
    String,
    String,
    String,
    String,
    bool,
    bool,
    bool,
    Vec<String>,
    Vec<String>,
);

/// A table name as the user wrote it, safe for a message.
fn shown(name: &TableName) -> String {
    name.to_sql()
}

/// One trigger pgpubsub installed.
#[derive(Debug)]
pub struct Found {
    pub installed: Installed,
    pub marker: Marker,
    /// The table, as in [`Table::display`].
    pub display: String,
}

/// The triggers pgpubsub installed, on `table` or everywhere (other sessions' temporary tables
/// aside), ordered by table and trigger name.
pub async fn installed(conn: &mut PgConnection, table: Option<i64>) -> Result<Vec<Found>> {
    let rows: Vec<InstalledRow> = sqlx::query_as(
        "SELECT n.nspname::text, c.relname::text, t.tgname::text, d.description,
                    pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname),
                    fn.nspname::text, CASE WHEN fd.description LIKE $2 THEN p.proname::text END
             FROM pg_catalog.pg_trigger t
             JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
             JOIN pg_catalog.pg_namespace fn ON fn.oid = p.pronamespace
             JOIN pg_catalog.pg_description d ON d.objoid = t.oid
                  AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
             LEFT JOIN pg_catalog.pg_description fd ON fd.objoid = p.oid
                  AND fd.classoid = 'pg_catalog.pg_proc'::regclass AND fd.objsubid = 0
             WHERE NOT t.tgisinternal AND d.description LIKE $2
               AND NOT pg_catalog.pg_is_other_temp_schema(c.relnamespace)
               AND ($1::int8 IS NULL OR t.tgrelid = $1::int8::oid)
             ORDER BY 1, 2, 3",
    )
    .bind(table)
    .bind(format!("{MARKER}%"))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| anyhow!("cannot read the triggers: {e}"))?;
    Ok(rows
        .into_iter()
        .filter_map(
            |(schema, table, trigger, comment, display, fschema, fname)| {
                Some(Found {
                    marker: Marker::parse(&comment)?,
                    display,
                    installed: Installed {
                        schema,
                        table,
                        trigger,
                        function: fname.map(|name| (fschema, name)),
                    },
                })
            },
        )
        .collect())
}

/// Schema, table, trigger, comment, display name, function schema, function name if marked.
type InstalledRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

/// Refuse to replace objects with pgpubsub's names that pgpubsub did not make: triggers named
/// `triggers` on `table` and the function `function` in its schema, when not marked.
pub async fn refuse_foreign(
    conn: &mut PgConnection,
    table: &Table,
    triggers: &[&str],
    function: &str,
) -> Result<()> {
    let foreign: Vec<String> = sqlx::query_scalar(
        "SELECT 'trigger ' || pg_catalog.quote_ident(t.tgname) FROM pg_catalog.pg_trigger t
         LEFT JOIN pg_catalog.pg_description d ON d.objoid = t.oid
              AND d.classoid = 'pg_catalog.pg_trigger'::regclass AND d.objsubid = 0
         WHERE t.tgrelid = $1::int8::oid AND t.tgname::text = ANY($2)
           AND NOT coalesce(d.description LIKE $5, false)
         UNION ALL
         SELECT 'function ' || pg_catalog.quote_ident(p.proname) FROM pg_catalog.pg_proc p
         JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         LEFT JOIN pg_catalog.pg_description d ON d.objoid = p.oid
              AND d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objsubid = 0
         WHERE n.nspname = $3 AND p.proname = $4 AND p.pronargs = 0
           AND NOT coalesce(d.description LIKE $5, false)",
    )
    .bind(table.oid)
    .bind(triggers)
    .bind(&table.schema)
    .bind(function)
    .bind(format!("{MARKER}%"))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| anyhow!("cannot check existing triggers: {e}"))?;
    match foreign.first() {
        None => Ok(()),
        Some(object) => Err(Error::Usage(format!(
            "{} already exists and was not made by pgpubsub; not replacing it",
            object
        ))),
    }
}
