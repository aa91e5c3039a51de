//! `pgpubsub conninfo`: connect and show what the server says about the session (psql's
//! `\conninfo`, plus TLS and recovery state), and which host was chosen. It is how a user
//! checks which of their settings won (with `-v`: where each came from, and why hosts were
//! passed over) before blaming LISTEN, and how the tests prove precedence server-side.

use crate::connect::{ConnSettings, Flags};
use crate::error::{note, stdout_error, Exit, Result};
use anyhow::Context;
use sqlx::Row;
use std::io::Write;

const QUERY: &str = "\
SELECT current_database(),
       current_user::text,
       coalesce(host(inet_server_addr()), 'unix socket'),
       current_setting('port'),
       current_setting('server_version'),
       coalesce((SELECT CASE WHEN ssl THEN 'on (' || version || ')' ELSE 'off' END
                   FROM pg_stat_ssl WHERE pid = pg_backend_pid()), 'off'),
       current_setting('application_name'),
       pg_is_in_recovery()::text";

const FIELDS: [&str; 8] = [
    "database",
    "user",
    "server_address",
    "server_port",
    "server_version",
    "ssl",
    "application_name",
    "in_recovery",
];

/// Connect with `flags` and print the chosen host, then one `name<TAB>value` line per field.
pub async fn run(flags: Flags, verbose: bool, out: &mut impl Write) -> Result<Exit> {
    let settings = ConnSettings::resolve(flags)?;
    if verbose {
        note(settings.describe());
    }
    let connected = settings.select().await.map_err(anyhow::Error::from)?;
    if verbose {
        connected.passed.iter().for_each(note);
    }
    let mut connection = connected.conn;
    writeln!(out, "host\t{}", connected.settings.endpoint()).map_err(stdout_error)?;
    let row = sqlx::query(QUERY)
        .fetch_one(&mut connection)
        .await
        .context("cannot query the session")?;
    for (i, name) in FIELDS.iter().enumerate() {
        let value: String = row.try_get(i).context("unexpected reply")?;
        writeln!(out, "{name}\t{value}").map_err(stdout_error)?;
    }
    out.flush().map_err(stdout_error)?;
    Ok(Exit::Success)
}
