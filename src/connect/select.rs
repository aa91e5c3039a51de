//! Host selection, as libpq does it: the candidates are tried in order (shuffled with
//! `load_balance_hosts=random`), each attempt within the connect timeout, and a server that
//! does not match `target_session_attrs` is passed over for the next. It runs for every
//! connection, so names are resolved again and server roles checked again each time: after a
//! failover, a reconnect lands on the new primary and skips the old one if it came back as a
//! standby.

use super::{Candidate, ConnSettings, ConnectError};
use sqlx::postgres::PgConnection;
use sqlx::Connection;
use std::fmt;
use std::str::FromStr;

/// libpq's `target_session_attrs`: which kind of server a connection must land on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attrs {
    Any,
    ReadWrite,
    ReadOnly,
    Primary,
    Standby,
    /// A standby if any is up, else any server.
    PreferStandby,
}

impl FromStr for Attrs {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Ok(match text {
            "any" => Attrs::Any,
            "read-write" => Attrs::ReadWrite,
            "read-only" => Attrs::ReadOnly,
            "primary" => Attrs::Primary,
            "standby" => Attrs::Standby,
            "prefer-standby" => Attrs::PreferStandby,
            _ => {
                return Err(format!(
                    "target_session_attrs {text:?} is not one of any, read-write, read-only, \
                     primary, standby, prefer-standby"
                ))
            }
        })
    }
}

impl fmt::Display for Attrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Attrs::Any => "any",
            Attrs::ReadWrite => "read-write",
            Attrs::ReadOnly => "read-only",
            Attrs::Primary => "primary",
            Attrs::Standby => "standby",
            Attrs::PreferStandby => "prefer-standby",
        })
    }
}

impl Attrs {
    /// Why a server in this state does not fit, if it does not.
    fn misfit(self, state: State) -> Option<&'static str> {
        match self {
            Attrs::Any => None,
            Attrs::ReadWrite if state.in_recovery => Some("is a standby (read-only)"),
            Attrs::ReadWrite if state.read_only => {
                Some("is read-only (default_transaction_read_only is on)")
            }
            Attrs::ReadOnly if !state.read_only => Some("is read-write"),
            Attrs::Primary if state.in_recovery => Some("is a standby"),
            Attrs::Standby | Attrs::PreferStandby if !state.in_recovery => {
                Some("is a primary, not a standby")
            }
            _ => None,
        }
    }
}

/// What libpq checks for `target_session_attrs`.
#[derive(Debug, Clone, Copy)]
struct State {
    in_recovery: bool,
    read_only: bool,
}

/// A connection on the host that selection chose.
pub struct Connected {
    pub conn: PgConnection,
    /// The settings, in use on the chosen host (for listeners and pools that must land on
    /// the same server, and for messages naming it).
    pub settings: ConnSettings,
    /// Each host passed over before it, with why (for `--verbose`).
    pub passed: Vec<String>,
}

impl ConnSettings {
    /// One connection on the host that selection chooses (see [`ConnSettings::select`]).
    pub async fn connect(&self) -> Result<PgConnection, ConnectError> {
        Ok(self.select().await?.conn)
    }

    /// Open one connection on the first candidate that accepts it and fits
    /// `target_session_attrs`, or explain why none did: one line for a single host, a line
    /// per host tried otherwise. Also the settings in use on that host, for listeners and
    /// pools that must land on the same server.
    pub async fn select(&self) -> Result<Connected, ConnectError> {
        let choice = &self.choice;
        let mut order: Vec<&Candidate> = choice.candidates.iter().collect();
        if choice.shuffle {
            fastrand::shuffle(&mut order);
        }
        let mut passed: Vec<(&Candidate, String)> = Vec::new();
        let mut primaries = Vec::new();
        for candidate in order {
            let host = self.on(candidate);
            match host.attempt(choice.attrs).await {
                Ok(conn) => return Ok(host.connected(conn, &passed)),
                Err(Attempt::Misfit(why)) if choice.attrs == Attrs::PreferStandby => {
                    passed.push((candidate, why.to_string()));
                    primaries.push(candidate);
                }
                Err(Attempt::Misfit(why)) => passed.push((candidate, why.to_string())),
                Err(Attempt::Failed(why)) => passed.push((candidate, why)),
            }
        }
        // prefer-standby: no standby is up, so any server will do.
        for candidate in primaries {
            let host = self.on(candidate);
            match host.attempt(Attrs::Any).await {
                Ok(conn) => return Ok(host.connected(conn, &passed)),
                Err(Attempt::Failed(why)) => passed.push((candidate, why)),
                Err(Attempt::Misfit(why)) => passed.push((candidate, why.to_string())),
            }
        }
        Err(self.none_fits(&passed))
    }

    fn connected(self, conn: PgConnection, passed: &[(&Candidate, String)]) -> Connected {
        Connected {
            conn,
            settings: self,
            passed: passed
                .iter()
                .map(|(c, why)| format!("passed over {}: {why}", c.target.endpoint))
                .collect(),
        }
    }

    /// One attempt on the host in use, within the connect timeout (which covers the role
    /// check too, as in libpq).
    async fn attempt(&self, attrs: Attrs) -> Result<PgConnection, Attempt> {
        let work = async {
            let mut conn = PgConnection::connect_with(&self.options)
                .await
                .map_err(|e| Attempt::Failed(self.explain(&e)))?;
            if attrs == Attrs::Any {
                return Ok(conn);
            }
            let (in_recovery, read_only): (bool, bool) = sqlx::query_as(
                "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'",
            )
            .persistent(false)
            .fetch_one(&mut conn)
            .await
            .map_err(|e| Attempt::Failed(self.explain(&e)))?;
            let state = State {
                in_recovery,
                read_only,
            };
            match attrs.misfit(state) {
                None => Ok(conn),
                Some(why) => {
                    let _ = conn.close().await;
                    Err(Attempt::Misfit(why))
                }
            }
        };
        match self.timeout {
            Some(limit) => tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
                Err(Attempt::Failed(format!(
                    "timed out after {}",
                    humantime::format_duration(limit)
                )))
            }),
            None => work.await,
        }
    }

    /// The error when no candidate would do.
    fn none_fits(&self, passed: &[(&Candidate, String)]) -> ConnectError {
        let attrs = self.choice.attrs;
        if let [(candidate, why)] = passed {
            let why = match attrs {
                Attrs::Any => why.clone(),
                _ => format!("the server {why} (target_session_attrs={attrs})"),
            };
            return self.on(candidate).failure(why);
        }
        let mut text = format!(
            "could not connect to any of {} hosts",
            self.choice.candidates.len()
        );
        if attrs != Attrs::Any {
            text.push_str(&format!(" with target_session_attrs={attrs}"));
        }
        text.push_str(&format!(
            " (database \"{}\", user \"{}\"):",
            self.target.database, self.target.user
        ));
        for (candidate, why) in passed {
            text.push_str(&format!("\n  {}: {why}", candidate.target.endpoint));
        }
        ConnectError(text)
    }
}

/// Why one attempt did not give a usable connection.
enum Attempt {
    /// No connection (refused, timed out, authentication failed...), explained.
    Failed(String),
    /// Connected, but the server is not of the kind asked for.
    Misfit(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_attribute_keeps_libpq_meaning() {
        let primary = State {
            in_recovery: false,
            read_only: false,
        };
        let read_only_primary = State {
            in_recovery: false,
            read_only: true,
        };
        let standby = State {
            in_recovery: true,
            read_only: true,
        };
        let fits = |attrs: &str, state| attrs.parse::<Attrs>().unwrap().misfit(state).is_none();
        assert!(fits("any", standby));
        assert!(fits("read-write", primary));
        assert!(!fits("read-write", standby) && !fits("read-write", read_only_primary));
        assert!(fits("read-only", standby) && fits("read-only", read_only_primary));
        assert!(!fits("read-only", primary));
        assert!(fits("primary", read_only_primary) && !fits("primary", standby));
        assert!(fits("standby", standby) && !fits("standby", primary));
        assert!(fits("prefer-standby", standby) && !fits("prefer-standby", primary));
        assert!("master".parse::<Attrs>().is_err());
    }
}
