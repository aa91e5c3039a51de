//! What the server says, read with three catalog queries and nothing else: no writes, no
//! table locks beyond the catalog reads every SELECT makes, so `status` is safe to run on a
//! server that is already in trouble. Each refresh is one [`Snapshot`]; judging it is
//! `health`'s job.

use crate::limits::QueueLimit;
use anyhow::Context;
use serde::Serialize;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::Row;
use std::time::Duration;

/// Server-wide facts and the queue, from one row.
const FACTS: &str = "\
SELECT current_setting('server_version'),
       pg_is_in_recovery(),
       current_setting('synchronous_commit'),
       current_setting('synchronous_standby_names'),
       current_setting('fsync'),
       pg_notification_queue_usage(),
       current_setting('max_notify_queue_pages', true)::int8,
       current_setting('block_size')::int8,
       current_user::text,
       pg_has_role('pg_read_all_stats', 'USAGE'),
       (SELECT count(*) FROM pg_stat_activity
         WHERE usesysid IS NOT NULL AND pid <> pg_backend_pid()
           AND NOT pg_has_role('pg_read_all_stats', 'USAGE')
           AND NOT pg_has_role(usesysid, 'USAGE'))";

/// The columns that describe one session, from `pg_stat_activity a`; `$1` says whether to
/// include (a truncated) query text. Null where the role may not see them.
macro_rules! session_columns {
    () => {
        r"a.pid, a.usename::text, a.application_name,
          CASE WHEN a.client_port = -1 THEN 'local' ELSE host(a.client_addr) END,
          a.state, a.wait_event_type, a.wait_event,
          extract(epoch FROM now() - a.state_change)::float8,
          CASE WHEN a.state IS NOT NULL THEN a.query ~* '^\s*LISTEN\M' END,
          CASE WHEN $1 AND a.state IS NOT NULL THEN a.query END,
          a.datname::text"
    };
}

/// Sessions that may hold the queue back: blocked writing to their client, or idle in a
/// transaction (a session reads notifications only between transactions) for longer than `$2`
/// seconds.
const SUSPECTS: &str = concat!(
    "SELECT ",
    session_columns!(),
    "
       FROM pg_stat_activity a
      WHERE a.pid <> pg_backend_pid() AND a.backend_type = 'client backend'
        AND (a.wait_event = 'ClientWrite'
             OR (a.state LIKE 'idle in transaction%'
                 AND a.state_change < now() - make_interval(secs => $2)))
      ORDER BY a.state_change, a.pid"
);

/// The lock a notifying commit takes on the whole database cluster, as `pg_locks` shows it:
/// the holder first, then the waiters, longest waiting first.
const COMMIT_LOCK: &str = concat!(
    "SELECT l.granted, l.pid, ",
    session_columns!(),
    "
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'object' AND l.database = 0
        AND l.classid = 'pg_database'::regclass AND l.objid = 0 AND l.objsubid = 0
        AND l.mode = 'AccessExclusiveLock'
      ORDER BY l.granted DESC, a.state_change, l.pid"
);

/// One refresh's raw facts.
pub struct Snapshot {
    /// Version and the settings that matter for NOTIFY.
    pub server: Server,
    /// `pg_notification_queue_usage()`: the fraction of the queue in use, 0 to 1.
    pub usage: f64,
    /// The queue's size: fixed before PostgreSQL 17, `max_notify_queue_pages` from 17 on.
    pub limit: QueueLimit,
    /// What this role may see of other sessions.
    pub visibility: Visibility,
    /// Candidate slow consumers (ClientWrite, or idle in transaction past the threshold).
    pub candidates: Vec<Session>,
    /// The commit lock's holders (one, or none when it is free).
    pub holders: Vec<Session>,
    /// The sessions waiting for the commit lock.
    pub waiters: Vec<Session>,
    /// The pgpubsub journals of the database (durable channels), with their consumers.
    pub journals: Vec<crate::journal::report::Report>,
    /// Journals that could not be read, and why.
    pub journal_errors: Vec<String>,
}

/// The settings that decide how NOTIFY behaves on this server.
#[derive(Debug, Clone, Serialize)]
pub struct Server {
    /// `server_version`.
    pub version: String,
    /// A standby (in recovery): LISTEN and NOTIFY are refused there.
    pub in_recovery: bool,
    /// Whether (and how far) a commit waits to be flushed or replicated.
    pub synchronous_commit: String,
    /// The standbys a synchronous commit waits for (SyncRep) while holding the commit lock.
    pub synchronous_standby_names: String,
    /// Off means commits, and so the commit lock, never wait for the disk.
    pub fsync: String,
}

/// What the connected role can see of other sessions.
#[derive(Debug, Clone, Serialize)]
pub struct Visibility {
    /// The role status runs as.
    pub role: String,
    /// Superuser or member of pg_read_all_stats: every session's state, wait and query.
    pub all_sessions: bool,
    /// Sessions of other roles whose state, wait and query are hidden from this role.
    pub hidden_sessions: i64,
}

/// One server session as `pg_stat_activity` shows it to this role.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    /// The server process id (`pg_terminate_backend` takes it).
    pub pid: i32,
    /// The session's role.
    pub user: Option<String>,
    /// Its database: the queue and the commit lock are shared by all databases of a server.
    pub database: Option<String>,
    /// What the client called itself (any client may choose it: untrusted text).
    pub application_name: Option<String>,
    /// The client's IP address, or "local" for a Unix socket.
    pub client_addr: Option<String>,
    /// `active`, `idle`, `idle in transaction`...
    pub state: Option<String>,
    /// The class of what it waits for (`Client`, `Lock`, `IPC`...).
    pub wait_event_type: Option<String>,
    /// What it waits for (`ClientWrite`, `object`, `SyncRep`...).
    pub wait_event: Option<String>,
    /// Seconds since the session entered its current state.
    pub state_for_s: Option<f64>,
    /// Whether its last statement was LISTEN (null when the role may not see it).
    pub last_ran_listen: Option<bool>,
    /// Its last statement, with `--show-queries` only: normalized (every constant a `$N`,
    /// every comment `/*…*/`, so no value is ever shown) and truncated.
    pub query: Option<String>,
}

/// The longest query text shown with `--show-queries`, in characters.
const QUERY_CHARS: usize = 200;

impl Session {
    /// Decode the `session_columns!()` that start at column `at` (the pid may come from pg_locks
    /// when the activity row is gone).
    fn from_row(row: &PgRow, at: usize, pid: i32) -> sqlx::Result<Session> {
        Ok(Session {
            pid,
            user: row.try_get(at + 1)?,
            application_name: row.try_get(at + 2)?,
            client_addr: row.try_get(at + 3)?,
            state: row.try_get(at + 4)?,
            wait_event_type: row.try_get(at + 5)?,
            wait_event: row.try_get(at + 6)?,
            state_for_s: row.try_get(at + 7)?,
            last_ran_listen: row.try_get(at + 8)?,
            query: row.try_get::<Option<String>, _>(at + 9)?.map(shown_query),
            database: row.try_get(at + 10)?,
        })
    }
}

/// Query text as `--show-queries` shows it: normalized as `pg_stat_statements` does (its
/// literals and comments hold secrets: `PASSWORD '…'`, a DSN, a token), then cut at
/// [`QUERY_CHARS`] characters.
fn shown_query(query: String) -> String {
    let query = crate::pg::normalize::normalize(&query);
    match query.char_indices().nth(QUERY_CHARS) {
        Some((end, _)) => format!("{}…", &query[..end]),
        None => query,
    }
}

/// Make this session unable to change anything or to wait long behind a lock, whatever the
/// role's defaults say.
pub async fn prepare(conn: &mut PgConnection) -> anyhow::Result<()> {
    sqlx::query(
        "SELECT set_config('default_transaction_read_only', 'on', false),
                set_config('lock_timeout', '2s', false),
                set_config('statement_timeout', '10s', false)",
    )
    .execute(conn)
    .await
    .context("cannot prepare the session")?;
    Ok(())
}

/// Read one snapshot; `idle_threshold` decides which idle-in-transaction sessions count.
pub async fn take(
    conn: &mut PgConnection,
    idle_threshold: Duration,
    show_queries: bool,
) -> anyhow::Result<Snapshot> {
    let facts = sqlx::query(FACTS)
        .fetch_one(&mut *conn)
        .await
        .context("cannot read the server's settings and queue usage")?;
    let candidates = sqlx::query(SUSPECTS)
        .bind(show_queries)
        .bind(idle_threshold.as_secs_f64())
        .fetch_all(&mut *conn)
        .await
        .context("cannot read pg_stat_activity")?
        .iter()
        .map(|row| Session::from_row(row, 0, row.try_get(0)?))
        .collect::<sqlx::Result<Vec<_>>>()
        .context("unexpected reply from pg_stat_activity")?;
    let (mut holders, mut waiters) = (Vec::new(), Vec::new());
    for row in sqlx::query(COMMIT_LOCK)
        .bind(show_queries)
        .fetch_all(&mut *conn)
        .await
        .context("cannot read pg_locks")?
    {
        let session = Session::from_row(&row, 2, row.try_get(1)?)
            .context("unexpected reply from pg_locks")?;
        let granted: bool = row.try_get(0).context("unexpected reply from pg_locks")?;
        if granted { &mut holders } else { &mut waiters }.push(session);
    }
    let mut snapshot = decode_facts(&facts, candidates, holders, waiters)
        .context("unexpected reply from the server")?;
    (snapshot.journals, snapshot.journal_errors) = journals(conn).await?;
    Ok(snapshot)
}

/// Every journal of the database, with cheap estimates (a refresh may come every second); one
/// that cannot be read (a privilege missing on its consumers) is a note, not a failure.
async fn journals(
    conn: &mut PgConnection,
) -> anyhow::Result<(Vec<crate::journal::report::Report>, Vec<String>)> {
    use crate::journal::{report, Names};
    let (mut read, mut errors) = (Vec::new(), Vec::new());
    for schema in report::schemas(conn).await? {
        match report::read(conn, &Names::new(&schema), false).await {
            Ok(journal) => read.push(journal),
            Err(err) => errors.push(format!("{err:#}")),
        }
    }
    Ok((read, errors))
}

fn decode_facts(
    row: &PgRow,
    candidates: Vec<Session>,
    holders: Vec<Session>,
    waiters: Vec<Session>,
) -> sqlx::Result<Snapshot> {
    Ok(Snapshot {
        server: Server {
            version: row.try_get(0)?,
            in_recovery: row.try_get(1)?,
            synchronous_commit: row.try_get(2)?,
            synchronous_standby_names: row.try_get(3)?,
            fsync: row.try_get(4)?,
        },
        usage: row.try_get(5)?,
        limit: QueueLimit::new(row.try_get(6)?, row.try_get(7)?),
        visibility: Visibility {
            role: row.try_get(8)?,
            all_sessions: row.try_get(9)?,
            hidden_sessions: row.try_get(10)?,
        },
        candidates,
        holders,
        waiters,
        journals: Vec::new(),
        journal_errors: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_normalized_and_truncated() {
        assert_eq!(shown_query("LISTEN jobs".into()), "LISTEN jobs");
        let long = "x".repeat(QUERY_CHARS + 5);
        let shown = shown_query(long);
        assert_eq!(shown.chars().count(), QUERY_CHARS + 1);
        assert!(shown.ends_with('…'));
        assert_eq!(
            shown_query("ALTER ROLE a PASSWORD 'secret'".into()),
            "ALTER ROLE a PASSWORD $1"
        );
    }
}
