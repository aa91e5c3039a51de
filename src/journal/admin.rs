//! `pgpubsub journal init` and `journal drop`: the journal's objects created in one
//! transaction and removed in one, each with `--dry-run` printing that very transaction. Init
//! needs no more than CREATE on the schema it uses (the schema itself is created only when it
//! does not exist, which needs CREATE on the database); drop removes exactly what init
//! created, and the schema only when init created it and nothing else lives there.

use super::sql::{Names, BATCH, MARKER};
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
        Some(Some(comment)) if *comment == Names::table_comment() => {}
        Some(Some(comment)) if comment.starts_with(MARKER) => {
            return Err(usage(format!(
                "the journal in schema {} has another layout ({comment}) than this pgpubsub \
                 makes ({}); drop it with `pgpubsub journal drop{}` and init again, or use \
                 another --schema",
                names.quoted_schema,
                Names::table_comment(),
                super::reader::schema_flag(&names.schema)
            )))
        }
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
    let (tables, schema) = statements.split_at(statements.len() - usize::from(found.schema_ours));
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

/// What `journal prune` did (or, with `dry_run`, would do).
pub struct Pruned {
    /// Records deleted (or that would be).
    pub deleted: u64,
    /// Records old enough that were kept for a consumer.
    pub kept: u64,
    /// The consumer furthest behind, and its position, when it kept any.
    pub laggard: Option<(String, i64)>,
}

/// Journal rows (batches) deleted per transaction: short transactions, so that the prune
/// neither holds back other readers' floors (a long transaction would) nor locks many rows at
/// once.
const PRUNE_BATCH: i64 = 1_000;

/// Delete the records published before `older_than` ago, oldest first and a batch (journal
/// row) at a time, but none that a registered consumer has not handled (its position, and what
/// it still reads below a baseline), unless `force`. A batch goes once all its records may go.
pub async fn prune(
    conn: &ConnSettings,
    names: &Names,
    older_than: std::time::Duration,
    force: bool,
    dry_run: bool,
) -> Result<Pruned> {
    let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
    let found = look(&mut session, names).await?;
    refuse_standby(&found)?;
    if !matches!(&found.journal, Some(Some(c)) if c.starts_with(MARKER)) {
        return Err(usage(format!(
            "there is no journal in schema {}",
            names.quoted_schema
        )));
    }
    let journal = &names.journal;
    let consumers = &names.consumers;
    // What a consumer still needs: everything after its position, and below a baseline what
    // its snapshot could not see.
    let needed = format!(
        "EXISTS (SELECT 1 FROM {consumers} c WHERE j.batch * {BATCH} + j.count - 1 > c.\"position\" \
           OR (c.baseline_snapshot IS NOT NULL AND j.batch <= c.baseline_batch \
            AND NOT pg_catalog.pg_visible_in_snapshot(j.xid, c.baseline_snapshot)))"
    );
    let old = "j.published_at < pg_catalog.now() - $1::interval";
    let keep = if force {
        "false".to_string()
    } else {
        needed.clone()
    };
    let (deletable, kept): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT coalesce(sum(j.count) FILTER (WHERE NOT {keep}), 0)::int8, \
                coalesce(sum(j.count) FILTER (WHERE {needed}), 0)::int8 \
         FROM {journal} j WHERE {old}"
    )))
    .bind(older_than)
    .fetch_one(&mut session)
    .await
    .map_err(|e| anyhow!("cannot read the journal: {}", conn.explain(&e)))?;
    let laggard: Option<(String, i64)> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT name, \"position\" FROM {consumers} ORDER BY \"position\", name LIMIT 1"
    )))
    .fetch_optional(&mut session)
    .await
    .map_err(|e| anyhow!("cannot read the consumers: {}", conn.explain(&e)))?;
    let kept = if force { 0 } else { kept as u64 };
    if dry_run || deletable == 0 {
        return Ok(Pruned {
            deleted: deletable as u64,
            kept,
            laggard: laggard.filter(|_| kept > 0),
        });
    }
    let mut deleted = 0u64;
    loop {
        let (rows, records): (i64, i64) = sqlx::query_as(AssertSqlSafe(format!(
            "WITH d AS (DELETE FROM {journal} WHERE batch IN (SELECT j.batch FROM {journal} j \
             WHERE {old} AND NOT {keep} ORDER BY j.batch LIMIT {PRUNE_BATCH}) RETURNING count) \
             SELECT count(*), coalesce(sum(count), 0)::int8 FROM d"
        )))
        .bind(older_than)
        .fetch_one(&mut session)
        .await
        .map_err(|e| {
            anyhow!(
                "cannot prune the journal ({deleted} records deleted so far): {}",
                conn.explain(&e)
            )
        })?;
        deleted += records as u64;
        if rows < PRUNE_BATCH {
            break;
        }
    }
    Ok(Pruned {
        deleted,
        kept,
        laggard: laggard.filter(|_| kept > 0),
    })
}

/// Remove the stored positions of `names` (consumers): prune no longer keeps records for them.
/// Unknown names are an error, and then nothing is removed.
pub async fn forget(conn: &ConnSettings, journal: &Names, names: &[String]) -> Result<()> {
    let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
    let mut tx = session
        .begin()
        .await
        .context("cannot begin a transaction")?;
    crate::journal::check(&mut tx, journal)
        .await
        .map_err(|fault| match fault {
            crate::journal::Fault::Fatal(err) => err,
            crate::journal::Fault::Lost(err) => err.into(),
        })?;
    let gone: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
        "DELETE FROM {} WHERE name = ANY($1) RETURNING name",
        journal.consumers
    )))
    .bind(names)
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| anyhow!("cannot forget the consumers: {}", conn.explain(&e)))?;
    if let Some(unknown) = names.iter().find(|n| !gone.contains(n)) {
        return Err(usage(format!(
            "no consumer {unknown:?} in the journal in schema {}; nothing was forgotten",
            journal.quoted_schema
        )));
    }
    tx.commit().await.map_err(|e| anyhow!(conn.explain(&e)))?;
    note(format!(
        "forgot {}: prune no longer keeps records for {}",
        crate::notify::counted(gone.len() as u64, "consumer"),
        if gone.len() == 1 { "it" } else { "them" }
    ));
    Ok(())
}
