//! `pgpubsub journal init` and `journal drop`: the journal's objects created in one
//! transaction and removed in one, each with `--dry-run` printing that very transaction. Init
//! needs no more than CREATE on the schema it uses (the schema itself is created only when it
//! does not exist, which needs CREATE on the database); drop removes exactly what init
//! created, and the schema only when init created it and nothing else lives there.

use super::sql::{Names, MARKER};
use crate::connect::ConnSettings;
use crate::error::{note, usage, Result};
use crate::pg::trigger::transaction;
use anyhow::{anyhow, Context};
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};

/// What is in the schema before init or drop.
struct Found {
    /// The schema exists.
    schema: bool,
    /// pgpubsub created the schema (its COMMENT says so).
    schema_ours: bool,
    /// The journal table's COMMENT, if the table exists.
    journal: Option<Option<String>>,
    standby: bool,
}

/// Create (or bring up to date) the journal in `names.schema`; with `dry_run` return the SQL
/// instead, having changed nothing.
pub async fn init(conn: &ConnSettings, names: &Names, dry_run: bool) -> Result<Option<String>> {
    let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
    let mut tx = session
        .begin()
        .await
        .context("cannot begin a transaction")?;
    let found = look(&mut tx, names).await?;
    refuse_standby(&found)?;
    match &found.journal {
        Some(Some(comment)) if comment.starts_with(MARKER) => {}
        Some(_) => {
            return Err(usage(format!(
                "{}.journal exists and was not made by pgpubsub; choose another schema with \
                 --schema",
                names.quoted_schema
            )))
        }
        None => {}
    }
    let statements = names.init(!found.schema);
    if dry_run {
        return Ok(Some(transaction(statements.iter())));
    }
    run(
        &mut tx,
        conn,
        &statements,
        "create the journal in schema",
        names,
    )
    .await?;
    tx.commit().await.map_err(|e| anyhow!(conn.explain(&e)))?;
    note(match found.journal {
        Some(_) => format!(
            "the journal in schema {} is up to date",
            names.quoted_schema
        ),
        None => format!(
            "created the journal in schema {}: publish with SELECT {}(channel, payload)",
            names.quoted_schema, names.publish
        ),
    });
    Ok(None)
}

/// Remove the journal of `names.schema` (records and consumer positions with it); with
/// `dry_run` return the SQL instead. Refused while durable triggers still write into it.
pub async fn drop(conn: &ConnSettings, names: &Names, dry_run: bool) -> Result<Option<String>> {
    let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
    let mut tx = session
        .begin()
        .await
        .context("cannot begin a transaction")?;
    let found = look(&mut tx, names).await?;
    refuse_standby(&found)?;
    match &found.journal {
        Some(Some(comment)) if comment.starts_with(MARKER) => {}
        Some(_) => {
            return Err(usage(format!(
                "{}.journal was not made by pgpubsub; not dropping it",
                names.quoted_schema
            )))
        }
        None => {
            return Err(usage(format!(
                "there is no journal in schema {}",
                names.quoted_schema
            )))
        }
    }
    let writers = super::triggers_writing_to(&mut tx, &names.schema).await?;
    if !writers.is_empty() {
        return Err(usage(format!(
            "durable triggers still write into the journal: {}; remove them first \
             (pgpubsub trigger remove TABLE)",
            writers.join(", ")
        )));
    }
    let statements = names.drop(found.schema_ours);
    if dry_run {
        return Ok(Some(transaction(statements.iter())));
    }
    let (tables, schema) = statements.split_at(3);
    run(&mut tx, conn, tables, "drop the journal in schema", names).await?;
    let mut kept = false;
    if let Some(drop_schema) = schema.first() {
        // Anything the user put in the schema keeps it: then it stays, and that is said.
        sqlx::raw_sql("SAVEPOINT pgpubsub_schema")
            .execute(&mut *tx)
            .await
            .map_err(|e| anyhow!(conn.explain(&e)))?;
        if sqlx::raw_sql(AssertSqlSafe(drop_schema.clone()))
            .execute(&mut *tx)
            .await
            .is_err()
        {
            kept = true;
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT pgpubsub_schema")
                .execute(&mut *tx)
                .await
                .map_err(|e| anyhow!(conn.explain(&e)))?;
        }
    }
    tx.commit().await.map_err(|e| anyhow!(conn.explain(&e)))?;
    note(format!(
        "dropped the journal in schema {}{}",
        names.quoted_schema,
        if kept {
            " (the schema stays: other objects are in it)"
        } else {
            ""
        }
    ));
    Ok(None)
}

/// What the catalogs say about the schema and its journal.
async fn look(conn: &mut PgConnection, names: &Names) -> Result<Found> {
    let (schema, schema_ours, journal, comment, standby): (bool, bool, bool, Option<String>, bool) =
        sqlx::query_as(
            "SELECT n.oid IS NOT NULL,
                    coalesce(pg_catalog.obj_description(n.oid, 'pg_namespace') = $3, false),
                    j IS NOT NULL, pg_catalog.obj_description(j, 'pg_class'),
                    pg_catalog.pg_is_in_recovery()
             FROM (SELECT 1) AS one
             LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = $1
             LEFT JOIN pg_catalog.to_regclass($2) AS j ON true",
        )
        .bind(&names.schema)
        .bind(&names.journal)
        .bind(format!("{MARKER} schema"))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| anyhow!("cannot read the catalogs: {e}"))?;
    Ok(Found {
        schema,
        schema_ours,
        journal: journal.then_some(comment),
        standby,
    })
}

fn refuse_standby(found: &Found) -> Result<()> {
    if found.standby {
        return Err(anyhow!(
            "the server is a standby (read-only): connect to the primary to change the journal"
        )
        .into());
    }
    Ok(())
}

/// Run `statements` in order; the first failure is the error (the caller's transaction then
/// rolls back, so nothing is half made).
async fn run(
    tx: &mut PgConnection,
    conn: &ConnSettings,
    statements: &[String],
    what: &str,
    names: &Names,
) -> Result<()> {
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                anyhow!(
                    "cannot {what} {}: {}",
                    names.quoted_schema,
                    conn.explain(&e)
                )
            })?;
    }
    Ok(())
}
