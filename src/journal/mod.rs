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
//! - `admin`: the `journal` subcommand's init, drop, prune and forget; `report`: its status
//!   (and `pgpubsub status`'s view of journals).

mod admin;
mod copy;
mod ranges;
pub mod reader;
pub mod report;
pub mod sql;
pub mod wire;

use crate::connect::ConnSettings;
use crate::error::{note, stdout_error, Exit, Result};
use crate::notify::counted;
pub use reader::{check, Deliver, Fault, Opening, Plan, Reader, Record, Since};
pub use sql::Names;
use sqlx::postgres::PgConnection;
use std::io::Write;

/// What `pgpubsub journal` is asked to do.
#[derive(Debug)]
pub enum Action {
    Init {
        dry_run: bool,
    },
    Drop {
        dry_run: bool,
    },
    Prune {
        older_than: std::time::Duration,
        force: bool,
        dry_run: bool,
    },
    Status {
        json: bool,
    },
    Forget {
        consumers: Vec<String>,
    },
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
    let sql = match &settings.action {
        Action::Init { dry_run } => admin::init(conn, names, *dry_run).await?,
        Action::Drop { dry_run } => admin::drop(conn, names, *dry_run).await?,
        Action::Prune {
            older_than,
            force,
            dry_run,
        } => {
            let pruned = admin::prune(conn, names, *older_than, *force, *dry_run).await?;
            note(pruned_note(&pruned, *older_than, *dry_run));
            None
        }
        Action::Status { json } => {
            let mut session = conn.connect().await.map_err(anyhow::Error::from)?;
            check(&mut session, names)
                .await
                .map_err(|fault| match fault {
                    Fault::Fatal(err) => err,
                    Fault::Lost(err) => err.into(),
                })?;
            let report = report::read(&mut session, names, true).await?;
            let terminal = settings.terminal;
            match json {
                true => crate::output::json::line(out, &report, terminal),
                false => crate::output::table::text(out, &report::render(&report), terminal),
            }
            .map_err(stdout_error)?;
            None
        }
        Action::Forget { consumers } => {
            admin::forget(conn, names, consumers).await?;
            None
        }
    };
    if let Some(sql) = sql {
        crate::output::table::text(out, &sql, settings.terminal).map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(Exit::Success)
}

/// What a prune did, in a line: how many were (or would be) deleted, and who kept the rest.
fn pruned_note(pruned: &admin::Pruned, older_than: std::time::Duration, dry_run: bool) -> String {
    let verb = if dry_run { "would prune" } else { "pruned" };
    let mut text = format!(
        "{verb} {} published more than {} ago",
        counted(pruned.deleted, "record"),
        humantime::format_duration(older_than)
    );
    if let Some((name, position)) = &pruned.laggard {
        text.push_str(&format!(
            "; kept {} that consumer {name:?} (at position {position}) has not read yet \
             (forget it with `pgpubsub journal forget`, or prune with --force)",
            counted(pruned.kept, "older record")
        ));
    }
    text
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
