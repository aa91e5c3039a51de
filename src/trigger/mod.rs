//! `pgpubsub trigger add|list|remove`: turn a table's row changes into notifications with a
//! trigger pgpubsub generates (see `pg::trigger` for the SQL and the payload), and take it away
//! again without touching anyone else's. `add` and `remove` run in one transaction each, all or
//! nothing; `--dry-run` prints that very transaction instead of running it.

mod catalog;
mod list;

use crate::connect::ConnSettings;
use crate::error::{note, stdout_error, usage, Exit, Result};
use crate::output;
use crate::pg::quote::TableName;
use crate::pg::trigger::{self, Event, Marker, Names, Spec, MAX_COLUMNS};
use anyhow::{anyhow, Context};
pub use catalog::Found;
use catalog::Table;
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};
use std::io::Write;

/// What to do, decided from the flags.
#[derive(Debug)]
pub enum Action {
    /// Boxed: it is much the largest.
    Add(Box<Add>),
    List {
        table: Option<TableName>,
        json: bool,
    },
    Remove {
        table: TableName,
        channel: Option<String>,
        dry_run: bool,
    },
}

/// `trigger add`'s settings.
#[derive(Debug)]
pub struct Add {
    pub table: TableName,
    /// The channel; `None` means the table's name.
    pub channel: Option<String>,
    /// Sorted, without repeats.
    pub events: Vec<Event>,
    /// Only these columns in `new`/`old` (names as in the catalog).
    pub columns: Option<Vec<String>>,
    /// Accept a table without a primary key.
    pub allow_no_key: bool,
    /// `--durable`: the journal the row changes go to.
    pub journal: Option<crate::journal::Names>,
    pub dry_run: bool,
}

/// Everything `trigger` needs.
#[derive(Debug)]
pub struct Settings {
    pub action: Action,
    /// Stdout is a terminal: SQL and names printed there are sanitized.
    pub terminal: bool,
}

/// Run one `trigger` action.
pub async fn run(settings: &Settings, conn: &ConnSettings, out: &mut impl Write) -> Result<Exit> {
    let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
    match &settings.action {
        Action::Add(add) => {
            if let Some(sql) = self::add(&mut session, conn, add).await? {
                output::table::text(out, &sql, settings.terminal).map_err(stdout_error)?;
            }
        }
        Action::Remove {
            table,
            channel,
            dry_run,
        } => {
            if let Some(sql) =
                remove(&mut session, conn, table, channel.as_deref(), *dry_run).await?
            {
                output::table::text(out, &sql, settings.terminal).map_err(stdout_error)?;
            }
        }
        Action::List { table, json } => {
            let table = match table {
                Some(name) => Some(catalog::table(&mut session, name).await?.oid),
                None => None,
            };
            let found = catalog::installed(&mut session, table).await?;
            list::print(out, &found, *json, settings.terminal).map_err(stdout_error)?;
        }
    }
    let _ = session.close().await;
    Ok(Exit::Success)
}

/// Every trigger pgpubsub installed in the database (for `journal drop`, which must not leave
/// durable triggers writing into a journal that is gone).
pub async fn installed_everywhere(conn: &mut PgConnection) -> Result<Vec<Found>> {
    catalog::installed(conn, None).await
}

/// Install (or replace) the trigger in one transaction; with `dry_run` return its SQL instead,
/// having changed nothing.
async fn add(session: &mut PgConnection, conn: &ConnSettings, add: &Add) -> Result<Option<String>> {
    let mut tx = session
        .begin()
        .await
        .context("cannot begin a transaction")?;
    let table = catalog::table(&mut tx, &add.table).await?;
    table.check_changeable(true)?;
    let channel = add.channel.clone().unwrap_or_else(|| table.name.clone());
    let marker = Marker {
        channel,
        events: add.events.clone(),
        columns: add
            .columns
            .as_ref()
            .map(|c| checked_columns(&table, c))
            .transpose()?,
        key: table.key.clone(),
        journal: add.journal.as_ref().map(|names| names.schema.clone()),
    };
    if let Some(names) = &add.journal {
        crate::journal::check(&mut tx, names)
            .await
            .map_err(|fault| match fault {
                crate::journal::Fault::Fatal(err) => err,
                crate::journal::Fault::Lost(err) => err.into(),
            })?;
    }
    if marker.key.is_empty() && !add.allow_no_key && marker.journal.is_none() {
        return Err(usage(format!(
            "table {} has no primary key, so a row too long for a notification could not be \
             identified; add one, or pass --allow-no-key (such rows then arrive as \
             {{\"schema\",\"table\",\"op\",\"truncated\":true}} with no key)",
            table.display
        )));
    }
    let names = Names::new(&table.name, &marker.channel);
    catalog::refuse_foreign(
        &mut tx,
        &table,
        &[&names.row_trigger, &names.truncate_trigger],
        &names.function,
    )
    .await?;
    let existing: Vec<_> = catalog::installed(&mut tx, Some(table.oid))
        .await?
        .into_iter()
        .filter(|f| f.marker.channel == marker.channel)
        .map(|f| f.installed)
        .collect();
    let summary = describe(&table, &marker);
    let script = trigger::install(
        &Spec {
            schema: table.schema.clone(),
            table: table.name.clone(),
            partitioned: table.partitioned,
            marker,
        },
        &existing,
    );
    if add.dry_run {
        return Ok(Some(script.to_sql()));
    }
    execute(tx, conn, script.statements(), "add the trigger on", &table).await?;
    note(format!(
        "{} {summary}",
        if existing.is_empty() {
            "added"
        } else {
            "replaced"
        }
    ));
    Ok(None)
}

/// Run `statements` in `tx` and commit: all of them or, on the first error, none.
async fn execute<'a>(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    conn: &ConnSettings,
    statements: impl Iterator<Item = &'a String>,
    what: &str,
    table: &Table,
) -> Result<()> {
    let failed = |err: sqlx::Error| {
        let reason = conn.explain(&err);
        anyhow!("cannot {what} {}: {reason}", table.display)
    };
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement.clone()))
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
    }
    tx.commit().await.map_err(failed)?;
    Ok(())
}

/// The `--columns` asked for, each checked against the table.
fn checked_columns(table: &Table, columns: &[String]) -> Result<Vec<String>> {
    if let Some(unknown) = columns.iter().find(|c| !table.columns.contains(c)) {
        return Err(usage(format!(
            "column {} of table {} does not exist",
            crate::pg::quote::ident(unknown),
            table.display
        )));
    }
    if columns.len() > MAX_COLUMNS {
        return Err(usage(format!(
            "--columns names {} columns; at most {MAX_COLUMNS} (leave it out to send whole rows)",
            columns.len()
        )));
    }
    Ok(columns.to_vec())
}

/// `public.orders -> channel orders (insert, update)` for the notes.
fn describe(table: &Table, marker: &Marker) -> String {
    let events: Vec<&str> = marker.events.iter().map(|e| e.name()).collect();
    let durable = match &marker.journal {
        Some(schema) => format!(
            ", durable: journal in schema {}",
            crate::pg::quote::ident(schema)
        ),
        None => String::new(),
    };
    format!(
        "trigger on {} -> channel {} ({}{durable})",
        table.display,
        marker.channel,
        events.join(", ")
    )
}

/// Drop pgpubsub's triggers on `name` (for `channel`, or all), and each function no pgpubsub
/// trigger calls any more, in one transaction; with `dry_run` return the SQL instead.
async fn remove(
    session: &mut PgConnection,
    conn: &ConnSettings,
    name: &TableName,
    channel: Option<&str>,
    dry_run: bool,
) -> Result<Option<String>> {
    let mut tx = session
        .begin()
        .await
        .context("cannot begin a transaction")?;
    let table = catalog::table(&mut tx, name).await?;
    table.check_changeable(false)?;
    let (gone, stay): (Vec<Found>, Vec<Found>) = catalog::installed(&mut tx, None)
        .await?
        .into_iter()
        .partition(|f| {
            f.installed.schema == table.schema
                && f.installed.table == table.name
                && channel.is_none_or(|c| f.marker.channel == c)
        });
    if gone.is_empty() {
        return Err(usage(match channel {
            Some(c) => format!(
                "table {} has no pgpubsub trigger for channel {}",
                table.display, c
            ),
            None => format!("table {} has no pgpubsub trigger", table.display),
        }));
    }
    let gone_markers: Vec<Marker> = gone.iter().map(|f| f.marker.clone()).collect();
    let gone: Vec<_> = gone.into_iter().map(|f| f.installed).collect();
    let stay: Vec<_> = stay.into_iter().map(|f| f.installed).collect();
    let statements = trigger::uninstall(&gone, &stay);
    if dry_run {
        return Ok(Some(trigger::transaction(statements.iter())));
    }
    execute(tx, conn, statements.iter(), "remove the trigger on", &table).await?;
    note(format!(
        "removed {} trigger(s) from {} (channel {})",
        gone.len(),
        table.display,
        channels(&gone_markers)
    ));
    Ok(None)
}

/// The distinct channels of `markers`, comma-separated, for a note.
fn channels(markers: &[Marker]) -> String {
    let mut names: Vec<&str> = markers.iter().map(|m| m.channel.as_str()).collect();
    names.dedup();
    names.join(", ")
}
