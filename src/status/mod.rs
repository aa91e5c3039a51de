//! `pgpubsub status`: is LISTEN/NOTIFY healthy on this server, and who is holding it back?
//! PostgreSQL only hints at the two ways NOTIFY fails (a queue that fills behind a session that
//! stopped reading, and commits piling up behind the lock a notifying commit holds until it is
//! flushed); this reads the catalog views that show them (`probe`), judges what they say
//! (`health`) and prints it for a person (`screen`) or a program (`--json`), once or every
//! `--watch` period. The exit status is the verdict, so `pgpubsub status || alert` works.

pub(crate) mod health;
pub(crate) mod probe;

use crate::app::Context;
use crate::connect::ConnSettings;
use crate::error::{stdout_error, Error, Exit, Result};
use crate::output;
use health::{Health, Reading, Unknown, Verdict};
use probe::Snapshot;
use sqlx::postgres::PgConnection;
use std::io::Write;
use std::time::{Duration, SystemTime};

pub use health::Limits;

/// What `status` was asked to do, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Refresh every period until stopped; `None` reports once.
    pub watch: Option<Duration>,
    /// One JSON object per refresh instead of the screen.
    pub json: bool,
    /// Include other sessions' (truncated) query text.
    pub show_queries: bool,
    /// When the verdict turns degraded.
    pub limits: Limits,
    /// Stdout is a terminal: redraw in place, and sanitize JSON strings too.
    pub terminal: bool,
}

/// How each refresh is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// The full report, once.
    Screen,
    /// The full report redrawn in place on a terminal.
    Redraw,
    /// One summary line per refresh (piped --watch).
    Line,
    /// One JSON object per line; `sanitize` on a terminal.
    Json { sanitize: bool },
}

impl Settings {
    fn style(&self) -> Style {
        match (self.json, self.watch.is_some(), self.terminal) {
            (true, _, terminal) => Style::Json { sanitize: terminal },
            (false, false, _) => Style::Screen,
            (false, true, true) => Style::Redraw,
            (false, true, false) => Style::Line,
        }
    }
}

/// Report once (exit 0 healthy, 4 degraded), or every `--watch` period until a stop signal.
pub async fn run(settings: &Settings, conn: &ConnSettings, ctx: &mut Context) -> Result<Exit> {
    let mut link = Link {
        conn,
        session: None,
    };
    // The first connection must succeed: a mistyped host should not be watched forever.
    ctx.guard(async { link.open().await.map(drop) }).await?;
    let mut out = ctx.stdout();
    let style = settings.style();
    let mut previous: Option<Reading> = None;
    loop {
        // A failed refresh is the command's error once, and an "unknown" frame with --watch.
        let snapshot = ctx
            .guard(async { Ok::<_, Error>(link.snapshot(settings).await) })
            .await?;
        let at = SystemTime::now();
        let frame = match (snapshot, settings.watch) {
            (Ok(snapshot), _) => Frame::Judged(Box::new(Health::judge(
                snapshot,
                at,
                previous,
                &settings.limits,
            ))),
            (Err(err), None) => return Err(err.into()),
            (Err(err), Some(_)) => Frame::Unknown(Unknown::new(at, &err)),
        };
        write(&mut out, style, &frame)?;
        previous = match &frame {
            Frame::Judged(health) => Some(health.reading),
            Frame::Unknown(_) => None,
        };
        let Some(period) = settings.watch else {
            return Ok(frame.verdict().exit());
        };
        ctx.guard(async {
            tokio::time::sleep(period).await;
            Ok::<_, Error>(())
        })
        .await?;
    }
}

/// The one connection `status` reads through, reopened (with host selection, so a failover
/// is followed) when it is lost.
struct Link<'a> {
    conn: &'a ConnSettings,
    session: Option<PgConnection>,
}

impl Link<'_> {
    /// Connect and make the session read-only, unless already connected.
    async fn open(&mut self) -> anyhow::Result<&mut PgConnection> {
        if self.session.is_none() {
            let mut session = self.conn.connect().await?;
            probe::prepare(&mut session).await?;
            self.session = Some(session);
        }
        Ok(self.session.as_mut().expect("just opened"))
    }

    /// One snapshot. A failure is tried once more on a new connection at once, so that a
    /// killed backend or a restarted server costs no refresh.
    async fn snapshot(&mut self, settings: &Settings) -> anyhow::Result<Snapshot> {
        let limits = &settings.limits;
        if let Some(session) = &mut self.session {
            let taken = probe::take(session, limits.idle_threshold, settings.show_queries).await;
            if taken.is_ok() {
                return taken;
            }
            self.session = None;
        }
        let session = self.open().await?;
        let taken = probe::take(session, limits.idle_threshold, settings.show_queries).await;
        if taken.is_err() {
            self.session = None;
        }
        taken
    }
}

/// What one refresh shows.
enum Frame {
    Judged(Box<Health>),
    /// `--watch` only: this refresh could not read the server.
    Unknown(Unknown),
}

impl Frame {
    fn verdict(&self) -> Verdict {
        match self {
            Frame::Judged(health) => health.verdict,
            Frame::Unknown(unknown) => unknown.verdict,
        }
    }
}

/// Write one refresh and flush it, so that a watcher sees it at once.
fn write(out: &mut impl Write, style: Style, frame: &Frame) -> Result<()> {
    let (report, summary) = match frame {
        Frame::Judged(health) => (
            output::status::render(health),
            output::status::summary(health),
        ),
        Frame::Unknown(unknown) => (
            output::status::unknown(unknown),
            output::status::unknown_line(unknown),
        ),
    };
    let written = match style {
        Style::Screen => out.write_all(report.as_bytes()),
        Style::Redraw => redraw(out, &report),
        Style::Line => out.write_all(summary.as_bytes()),
        Style::Json { sanitize } => match frame {
            Frame::Judged(health) => output::json::line(out, health, sanitize),
            Frame::Unknown(unknown) => output::json::line(out, unknown, sanitize),
        },
    };
    written.and_then(|()| out.flush()).map_err(stdout_error)
}

/// Overwrite the previous report from the top-left corner, clearing what it left behind,
/// without blanking the screen first (which would flicker).
fn redraw(out: &mut impl Write, report: &str) -> std::io::Result<()> {
    let mut frame = String::from("\x1b[H");
    for line in report.lines() {
        frame.push_str(line);
        frame.push_str("\x1b[K\n");
    }
    frame.push_str("\x1b[J");
    out.write_all(frame.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_style_follows_json_watch_and_terminal() {
        let settings = |json, watch: Option<u64>, terminal| Settings {
            watch: watch.map(Duration::from_millis),
            json,
            show_queries: false,
            limits: Limits {
                warn: 0.5,
                idle_threshold: Duration::from_secs(10),
                journal_age: None,
                consumer_lag: None,
            },
            terminal,
        };
        assert_eq!(settings(false, None, true).style(), Style::Screen);
        assert_eq!(settings(false, Some(200), true).style(), Style::Redraw);
        assert_eq!(settings(false, Some(200), false).style(), Style::Line);
        assert_eq!(
            settings(true, Some(200), true).style(),
            Style::Json { sanitize: true }
        );
        assert_eq!(
            settings(true, None, false).style(),
            Style::Json { sanitize: false }
        );
    }
}
