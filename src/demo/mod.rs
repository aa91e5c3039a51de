//! `pgpubsub demo`: the first thing a newcomer runs. It teaches LISTEN/NOTIFY by doing it, step
//! by step, and every claim it makes is a count it has just measured, so a wrong claim fails
//! the demo instead of misleading the reader.
//!
//! This module owns what must outlive any step: the server (a throwaway one unless the user
//! named a server), the connections, and the cleanup that runs however the steps end (done,
//! failed, or Ctrl-C), so that nothing the demo created survives it.

mod inbox;
mod ledger;
mod listening;
mod producer;
mod transactions;
mod triggers;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::ephemeral::{Config, Server};
use crate::error::{note, warn, Error, Exit, Result};
use crate::output::narrate::Narrator;
use crate::pg::quote::qualified;
use sqlx::postgres::{PgConnection, PgPool};
use sqlx::{AssertSqlSafe, Connection};
use std::io::Write;
use std::time::Duration;

/// How long cleanup may take per statement before the demo gives up on it (the server then
/// drops temporary objects itself when the session ends).
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long closing the pool may take: idle connections close at once, a busy one is left.
const POOL_CLOSE_TIMEOUT: Duration = Duration::from_millis(500);

/// What the demo is asked to do, settled from the flags by `app`.
pub struct Settings {
    /// How often the producer sends a batch.
    pub interval: Duration,
    /// How long the stream step listens before its timer wins.
    pub listen_for: Duration,
    /// The user's server, or `None` for a throwaway one.
    pub conn: Option<ConnSettings>,
    /// The throwaway server to start when `conn` is `None`.
    pub throwaway: Config,
    /// How the user runs pgpubsub, for the commands to try next: `pgpubsub`, or `cargo run
    /// --` when the demo was started by `cargo run` (pgpubsub is then not on the PATH yet).
    pub invocation: &'static str,
}

/// Run the demo on a throwaway server, or on the server the user named.
pub async fn run(settings: Settings, ctx: &mut Context) -> Result<Exit> {
    if let Some(conn) = &settings.conn {
        return walkthrough(&settings, conn, None, ctx).await;
    }
    note("no connection settings given: starting a throwaway PostgreSQL server");
    let server = ctx.throwaway(&settings.throwaway).await?;
    let outcome = walkthrough(&settings, &server.settings(), Some(&server), ctx).await;
    Context::remove(server)?;
    outcome
}

/// Connect, run the steps until done, failed or interrupted, then clean up.
async fn walkthrough(
    settings: &Settings,
    conn: &ConnSettings,
    throwaway: Option<&Server>,
    ctx: &mut Context,
) -> Result<Exit> {
    let names = Names::new(throwaway.is_none());
    let mut conns = ctx.guard(Connections::open(conn)).await?;
    let mut demo = Demo {
        narrator: Narrator::new(ctx.stdout()),
        names,
        interval: settings.interval,
        listen_for: settings.listen_for,
        invocation: settings.invocation,
    };
    let outcome = ctx.guard(steps(&mut demo, &mut conns, throwaway)).await;
    if let Err(Error::Stopped(_)) = outcome {
        note("interrupted: cleaning up");
    }
    conns.close(&demo.names).await;
    outcome.map(|()| Exit::Success)
}

/// What every step shares: where to narrate, what things are called, how fast to go.
struct Demo<W: Write> {
    narrator: Narrator<W>,
    names: Names,
    interval: Duration,
    listen_for: Duration,
    /// `pgpubsub`, or `cargo run --` (see [`Settings::invocation`]).
    invocation: &'static str,
}

/// The demo's names. On the user's server they carry this process's id, so that several
/// demos (or anyone else's listeners) never see each other's notifications or objects.
struct Names {
    channels: [String; 3],
    table: String,
    function: String,
    trigger: String,
    shared: bool,
}

impl Names {
    fn new(shared: bool) -> Names {
        let pid = std::process::id();
        let channel = |i: usize| {
            if shared {
                format!("pgpubsub_demo_{pid}_chan{i}")
            } else {
                format!("chan{i}")
            }
        };
        let channels = [channel(0), channel(1), channel(2)];
        let table = format!("pgpubsub_demo_items_{pid}");
        // Step 7's trigger reports on the second channel, under the names `trigger add` uses.
        let generated = crate::pg::trigger::Names::new(&table, &channels[1]);
        Names {
            channels,
            table,
            function: generated.function,
            trigger: generated.row_trigger,
            shared,
        }
    }
}

/// The demo's connections: a pool (the listener and the producer each take one from it) and
/// one session of its own, which owns the temporary objects so cleanup can drop them.
struct Connections {
    pool: PgPool,
    session: PgConnection,
}

impl Connections {
    async fn open(settings: &ConnSettings) -> Result<Connections> {
        // The first connection gives the human one-line error if the server is unreachable.
        let connected = settings.select().await.map_err(anyhow::Error::from)?;
        // The pool connects to the host selection chose.
        let pool = connected.settings.pool(3);
        let session = connected.conn;
        Ok(Connections { pool, session })
    }

    /// Drop what the demo created and close every connection. Failures are reported, not
    /// returned: the temporary objects die with the session anyway.
    async fn close(self, names: &Names) {
        let Connections { pool, mut session } = self;
        let drop_sql = format!(
            "DROP TABLE IF EXISTS {}; DROP FUNCTION IF EXISTS {}()",
            qualified("pg_temp", &names.table),
            qualified("pg_temp", &names.function)
        );
        let dropped = tokio::time::timeout(
            CLEANUP_TIMEOUT,
            sqlx::raw_sql(AssertSqlSafe(drop_sql)).execute(&mut session),
        )
        .await;
        match dropped {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => warn(format!(
                "could not drop the demo's temporary objects ({err}); they go with the session"
            )),
            Err(_) => {
                warn("dropping the demo's temporary objects timed out; they go with the session")
            }
        }
        if let Ok(Err(err)) = tokio::time::timeout(CLEANUP_TIMEOUT, session.close()).await {
            warn(format!("closing the demo's session: {err}"));
        }
        // After Ctrl-C the listener's connection may still be inside pg_sleep; its LISTENs end
        // with it, so it is not worth waiting for (the server ends the session when the query
        // does, or at once when it is a throwaway server being stopped).
        let _ = tokio::time::timeout(POOL_CLOSE_TIMEOUT, pool.close()).await;
    }
}

/// The walkthrough itself, start to summary.
async fn steps<W: Write>(
    demo: &mut Demo<W>,
    conns: &mut Connections,
    throwaway: Option<&Server>,
) -> Result<()> {
    introduce(demo, throwaway)?;
    let (mut inbox, delivery) = listening::run(demo, &conns.pool).await?;
    let rolled_back = transactions::run(demo, conns, &mut inbox).await?;
    let events = triggers::run(demo, &mut conns.session, &mut inbox).await?;
    summarize(demo, &delivery, rolled_back, events)
}

fn introduce<W: Write>(demo: &mut Demo<W>, throwaway: Option<&Server>) -> Result<()> {
    let n = &mut demo.narrator;
    n.title("pgpubsub demo: PostgreSQL LISTEN/NOTIFY, live")?;
    match throwaway {
        Some(server) => n.say(&format!(
            "Using a throwaway PostgreSQL {} server on 127.0.0.1:{}, started for this demo and \
             removed when it ends.",
            server.version(),
            server.port()
        ))?,
        None => n.say(
            "Using the server from your connection settings; the demo removes everything it \
             creates there.",
        )?,
    }
    if demo.names.shared {
        n.say(&format!(
            "On a shared server the channels get names of their own ({}, ...), so nobody else's \
             notifications mix in.",
            demo.names.channels[0]
        ))?;
    }
    n.say("Press Ctrl-C at any time: the demo stops cleanly and removes what it created.")
}

fn summarize<W: Write>(
    demo: &mut Demo<W>,
    delivery: &listening::Delivery,
    rolled_back: u64,
    events: usize,
) -> Result<()> {
    let run = demo.invocation;
    let n = &mut demo.narrator;
    n.section("What you saw")?;
    n.say(&format!(
        "- While connected, the listener got every notification committed on its channels, once \
         each, in commit order ({} of {} sent).",
        delivery.received, delivery.sent
    ))?;
    n.say(&format!(
        "- A busy listener loses nothing: {} notifications waited for it and then arrived.",
        delivery.late
    ))?;
    n.say(&format!(
        "- Notifications are transactional: delivered at COMMIT, never after ROLLBACK ({rolled_back} \
         of them arrived), and identical ones in one transaction are delivered once."
    ))?;
    n.say(&format!(
        "- A trigger turns row changes into typed events ({events} decoded)."
    ))?;
    n.say(
        "- Not guaranteed: a listener that is disconnected misses what is sent meanwhile; there is \
         no replay.",
    )?;
    n.section("Try next")?;
    n.command(
        &format!("{run} sandbox"),
        "a throwaway server; prints the DATABASE_URL to export",
    )?;
    n.command(
        &format!("{run} listen chan0 chan1"),
        "stream notifications to stdout",
    )?;
    n.command(
        &format!("{run} notify chan0 '{{\"payload\": 1}}'"),
        "send one (from another terminal)",
    )?;
    if run != "pgpubsub" {
        n.say("(or install it first, `cargo install --path .`, and drop the `cargo run --`)")?;
    }
    Ok(())
}
