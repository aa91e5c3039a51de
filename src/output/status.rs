//! `status`'s human report: one screen, verdict first, then the queue, the suspects, the commit lock
//! and the settings behind them. Every string the server hands back (user and application
//! names, addresses, query text, even settings) passes through the one sanitizer, since any
//! role can choose its application_name and any session its query text.

use super::sanitize;
use crate::limits::bytes_human;
use crate::status::health::{percent, Health, Suspect, SuspectReason, Unknown, Verdict};
use crate::status::probe::Session;
use colored::Colorize;
use std::fmt::Write as _;

/// The full report, as lines ending in `\n`.
pub fn render(health: &Health) -> String {
    let mut text = String::new();
    verdict(&mut text, health);
    queue(&mut text, health);
    suspects(&mut text, &health.suspects, health.queue.usage);
    commit_lock(&mut text, health);
    journals(&mut text, health);
    settings(&mut text, health);
    for note in &health.notes {
        line(&mut text, &format!("Note: {}", sanitize(note)));
    }
    text
}

/// The one-line summary written per refresh when `--watch` output is piped.
pub fn summary(health: &Health) -> String {
    let mut text = format!(
        "{} {} queue {}",
        health.time,
        verdict_word(health.verdict),
        percent(health.queue.usage)
    );
    if let Some(growth) = health.queue.growth_per_s {
        let _ = write!(text, " ({}/s)", signed_percent(growth));
    }
    let _ = write!(
        text,
        " suspects {} lock_waiters {}",
        health.suspects.len(),
        health.commit_lock.waiters.len()
    );
    if !health.reasons.is_empty() {
        let _ = write!(text, ": {}", sanitize(&health.reasons.join("; ")));
    }
    text.push('\n');
    text
}

/// The report of a `--watch` refresh that could not read the server.
pub fn unknown(unknown: &Unknown) -> String {
    format!(
        "NOTIFY health: {}: {}\n  {}\n",
        verdict_word(unknown.verdict),
        sanitize(&unknown.reasons.join("; ")),
        unknown.time.dimmed()
    )
}

/// The one-line form of [`unknown`].
pub fn unknown_line(unknown: &Unknown) -> String {
    format!(
        "{} {}: {}\n",
        unknown.time,
        verdict_word(unknown.verdict),
        sanitize(&unknown.reasons.join("; "))
    )
}

fn line(text: &mut String, content: &str) {
    text.push_str(content);
    text.push('\n');
}

/// Durable channels: each journal in a line, each consumer's lag in another.
fn journals(text: &mut String, health: &Health) {
    if health.journals.is_empty() {
        return;
    }
    line(text, &heading("Journals (durable channels)").to_string());
    for journal in &health.journals {
        let span = match (journal.first_position, journal.last_position) {
            (Some(first), Some(last)) => format!("positions {first}..{last}"),
            _ => "empty".to_string(),
        };
        let mut row = format!(
            "  {}: {span}, {}",
            sanitize(&crate::pg::quote::ident(&journal.schema)),
            bytes_human(journal.bytes)
        );
        if let Some(age) = journal.oldest_age_s {
            let _ = write!(row, ", oldest {} old", crate::journal::report::ago(age));
        }
        line(text, &row);
        for c in &journal.consumers {
            line(
                text,
                &format!(
                    "    consumer {} at position {}: {} behind, {} records",
                    sanitize(&c.name),
                    c.position,
                    crate::journal::report::ago(c.lag_s),
                    c.lag_records
                ),
            );
        }
    }
}

fn verdict_word(verdict: Verdict) -> colored::ColoredString {
    match verdict {
        Verdict::Healthy => "healthy".green().bold(),
        Verdict::Degraded => "degraded".red().bold(),
        Verdict::Unknown => "unknown".yellow().bold(),
    }
}

fn verdict(text: &mut String, health: &Health) {
    let mut head = format!("NOTIFY health: {}", verdict_word(health.verdict));
    if !health.reasons.is_empty() {
        let _ = write!(head, ": {}", sanitize(&health.reasons.join("; ")));
    }
    line(text, &head);
    line(text, &format!("  {}", health.time.dimmed()));
}

fn queue(text: &mut String, health: &Health) {
    let q = &health.queue;
    let size = format!("of {}", q.limit.describe());
    let mut row = format!("{} {} used {size}", heading("Queue"), percent(q.usage));
    match (q.growth_per_s, q.full_in_s) {
        (Some(growth), Some(full_in)) => {
            let _ = write!(
                row,
                "; growing {}/s, full in {}",
                signed_percent(growth),
                human(full_in)
            );
        }
        (Some(growth), None) => {
            let _ = write!(row, "; {}/s", signed_percent(growth));
        }
        _ => {}
    }
    line(text, &row);
}

fn suspects(text: &mut String, suspects: &[Suspect], usage: f64) {
    line(text, &heading("Suspected slow consumers").to_string());
    if usage <= 0.0 {
        line(
            text,
            "  none: the queue is empty, so no session is holding it back",
        );
        return;
    }
    line(
        text,
        "  (PostgreSQL does not show which sessions LISTEN: these sessions could be holding the \
         queue back)",
    );
    if suspects.is_empty() {
        line(
            text,
            "  none found: no session is blocked writing to its client or idle in a transaction \
             past the threshold",
        );
    }
    for suspect in suspects {
        let why = match suspect.reason {
            SuspectReason::ClientWrite => "blocked writing to its client (ClientWrite)",
            SuspectReason::IdleInTransaction => "idle in a transaction",
        };
        line(text, &format!("  {}  {why}", session(&suspect.session)));
    }
}

fn commit_lock(text: &mut String, health: &Health) {
    let lock = &health.commit_lock;
    line(text, &heading("NOTIFY commit lock").to_string());
    match &lock.holder {
        Some(holder) => {
            line(text, &format!("  held by {}", session(holder)));
            if let Some(why) = holder.wait_event.as_deref().and_then(meaning) {
                line(text, &format!("  ({why})"));
            }
        }
        None if lock.waiters.is_empty() => line(text, "  free"),
        None => line(text, "  released just now"),
    }
    if !lock.waiters.is_empty() {
        line(
            text,
            &format!(
                "  {} waiting (every notifying commit waits for the holder):",
                lock.waiters.len()
            ),
        );
        for waiter in &lock.waiters {
            line(text, &format!("    {}", session(waiter)));
        }
    }
}

/// What the holder's wait means, for the waits a notifying commit is known to make.
fn meaning(wait_event: &str) -> Option<&'static str> {
    match wait_event {
        "SyncRep" => Some(
            "SyncRep: its commit waits for a synchronous standby to confirm it; see \
             synchronous_standby_names and the standbys' health",
        ),
        "WALWrite" | "WALSync" => Some("writing its commit to disk: WAL storage is slow"),
        _ => None,
    }
}

fn settings(text: &mut String, health: &Health) {
    let s = &health.server;
    let role = if s.in_recovery {
        "standby: LISTEN/NOTIFY cannot run here".red().to_string()
    } else {
        "primary".to_string()
    };
    line(
        text,
        &format!(
            "{} PostgreSQL {}, {role}; synchronous_commit {}, synchronous_standby_names '{}', \
             fsync {}",
            heading("Server"),
            sanitize(&s.version),
            sanitize(&s.synchronous_commit),
            sanitize(&s.synchronous_standby_names),
            sanitize(&s.fsync)
        ),
    );
}

fn heading(name: &str) -> colored::ColoredString {
    format!("{name}:").bold()
}

/// One session on one line: who, from where, doing what, for how long.
fn session(s: &Session) -> String {
    let mut text = format!("pid {}", s.pid.to_string().bold());
    let mut field = |label: &str, value: &Option<String>| {
        if let Some(value) = value {
            let _ = write!(text, "  {label} {}", sanitize(value));
        }
    };
    field("user", &s.user);
    field("db", &s.database);
    field("app", &s.application_name);
    field("from", &s.client_addr);
    field("state", &s.state);
    match (&s.wait_event_type, &s.wait_event) {
        (Some(kind), Some(event)) => {
            let _ = write!(
                text,
                "  waiting on {}/{}",
                sanitize(kind),
                sanitize(event).bold()
            );
        }
        _ if s.state.is_none() => text.push_str("  (state hidden from this role)"),
        _ => {}
    }
    if let Some(seconds) = s.state_for_s {
        let _ = write!(text, "  for {}", human(seconds));
    }
    if s.last_ran_listen == Some(true) {
        text.push_str("  last ran LISTEN");
    }
    if let Some(query) = &s.query {
        let _ = write!(text, "  query: {}", sanitize(query));
    }
    text
}

/// A duration for people: 850ms, 12.3s, 4m05s, 2h03m, 3d04h.
pub fn human(seconds: f64) -> String {
    let s = seconds.max(0.0);
    if s < 1.0 {
        format!("{}ms", (s * 1000.0).round() as u64)
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        let whole = s.round() as u64;
        match whole {
            w if w < 3600 => format!("{}m{:02}s", w / 60, w % 60),
            w if w < 86400 => format!("{}h{:02}m", w / 3600, w % 3600 / 60),
            w => format!("{}d{:02}h", w / 86400, w % 86400 / 3600),
        }
    }
}

fn signed_percent(fraction: f64) -> String {
    if fraction < 0.0 {
        format!("-{}", percent(-fraction))
    } else {
        format!("+{}", percent(fraction))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(human(0.25), "250ms");
        assert_eq!(human(12.34), "12.3s");
        assert_eq!(human(245.0), "4m05s");
        assert_eq!(human(7380.0), "2h03m");
        assert_eq!(human(2.0 * 86400.0 + 3600.0), "2d01h");
    }

    #[test]
    fn untrusted_text_is_defused() {
        colored::control::set_override(false);
        let evil = Session {
            pid: 7,
            user: Some("eve".into()),
            database: Some("shop".into()),
            application_name: Some("app\u{1b}[2J\u{9b}x".into()),
            client_addr: Some("local".into()),
            state: Some("idle".into()),
            wait_event_type: None,
            wait_event: None,
            state_for_s: Some(2.0),
            last_ran_listen: Some(true),
            query: Some("LISTEN \u{202e}jobs".into()),
        };
        let line = session(&evil);
        assert!(!line.contains(['\u{1b}', '\u{9b}', '\u{202e}']), "{line:?}");
        assert_eq!(
            line,
            "pid 7  user eve  db shop  app app\\u{1b}[2J\\u{9b}x  from local  state idle  for 2.0s  \
             last ran LISTEN  query: LISTEN \\u{202e}jobs"
        );
    }
}
