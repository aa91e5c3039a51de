//! Durable channels: a journal table beside NOTIFY, so that a listener can resume where it left
//! off. PostgreSQL keeps a notification only for the sessions listening when it commits; the
//! journal keeps every record, in a table any stock server has (default `wal_level`, no
//! extension, no superuser: CREATE on one schema). NOTIFY stays the wake-up and carries the
//! record when it fits, so live delivery costs no query; after any gap the listener reads what
//! it missed from the table, with a reader that never skips a record whose transaction commits
//! late (see `reader`).
//!
//! - `sql`: the objects (`journal init`/`drop`) and `publish()`;
//! - `wire`: what a journal's notifications carry;
//! - `reader` (with `copy` and `ranges`): the snapshot-safe reader and consumer positions,
//!   driven by `listen --durable`;
//! - `admin`: the `journal` subcommand's init and drop.

mod admin;
mod copy;
mod ranges;
pub mod reader;
pub mod sql;
pub mod wire;

use crate::connect::ConnSettings;
use crate::error::{stdout_error, Exit, Result};
pub use reader::{check, Deliver, Fault, Opening, Plan, Reader, Record, Since};
pub use sql::Names;
use sqlx::postgres::PgConnection;
use std::io::Write;

/// What `pgpubsub journal` is asked to do.
#[derive(Debug)]
pub enum Action {
    Init { dry_run: bool },
    Drop { dry_run: bool },
}

/// Everything `journal` needs.
#[derive(Debug)]
pub struct Settings {
    pub names: Names,
    pub action: Action,
    /// Stdout is a terminal: SQL printed there is sanitized.
    pub terminal: bool,
}

/// Run one `journal` action.
pub async fn run(settings: &Settings, conn: &ConnSettings, out: &mut impl Write) -> Result<Exit> {
    let names = &settings.names;
    let sql = match settings.action {
        Action::Init { dry_run } => admin::init(conn, names, dry_run).await?,
        Action::Drop { dry_run } => admin::drop(conn, names, dry_run).await?,
    };
    if let Some(sql) = sql {
        crate::trigger::print_sql(out, &sql, settings.terminal)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(Exit::Success)
}

/// The tables whose durable triggers write into the journal of `schema` (quoted, for a
/// message): while they exist, dropping the journal would break their writes.
pub async fn triggers_writing_to(conn: &mut PgConnection, schema: &str) -> Result<Vec<String>> {
    let found = crate::trigger::installed_everywhere(conn).await?;
    Ok(found
        .into_iter()
        .filter(|f| f.marker.journal.as_deref() == Some(schema))
        .map(|f| f.display)
        .collect())
}
