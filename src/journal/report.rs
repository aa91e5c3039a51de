//! How a journal stands: its size and age, and how far behind each consumer is. Read by
//! `journal status` (one journal, exact counts) and by `pgpubsub status` (every journal of the
//! database, cheap estimates, since it may refresh every second), which warns when a journal
//! keeps growing or a consumer falls behind.

use super::sql::{Names, BATCH, MARKER};
use anyhow::{anyhow, Result};
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::AssertSqlSafe;

/// One journal's state.
#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: String,
    /// Records in the journal, counted by `journal status`; `None` (null) where a count would
    /// cost a scan of the table (`pgpubsub status`: the positions tell how far it spans).
    pub records: Option<i64>,
    /// Table, index and TOAST bytes.
    pub bytes: i64,
    pub first_position: Option<i64>,
    pub last_position: Option<i64>,
    /// When the oldest record was published (RFC 3339, UTC), and how long ago in seconds.
    pub oldest_published_at: Option<String>,
    pub oldest_age_s: Option<f64>,
    pub consumers: Vec<Consumer>,
}

/// One consumer's stored position and lag.
#[derive(Debug, Serialize)]
pub struct Consumer {
    pub name: String,
    pub channels: Vec<String>,
    /// Every record up to here was handled (and written out) by it.
    pub position: i64,
    /// Records of its channels after its position (exact, and read without the payloads).
    pub lag_records: i64,
    /// Age of the oldest of those, in seconds (0 when it is up to date).
    pub lag_s: f64,
    /// When it last stored its position, and how long ago in seconds.
    pub stored_at: String,
    pub stored_age_s: f64,
}

/// Records, bytes, first and last position, oldest record's time and age.
type JournalRow = (
    Option<i64>,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<f64>,
);

/// A [`Consumer`]'s fields, in order.
type ConsumerRow = (String, Vec<String>, i64, i64, f64, String, f64);

/// Read the journal of `names`; `count` counts its records (a scan of the table).
pub async fn read(conn: &mut PgConnection, names: &Names, count: bool) -> Result<Report> {
    let records = if count {
        format!(
            "(SELECT coalesce(sum(count), 0)::int8 FROM {})",
            names.journal
        )
    } else {
        "NULL::int8".to_string()
    };
    let (records, bytes, first, last, oldest, oldest_age): JournalRow =
        sqlx::query_as(AssertSqlSafe(format!(
            "WITH f AS (SELECT batch, published_at FROM {journal} ORDER BY batch LIMIT 1)
         SELECT {records},
                pg_catalog.pg_total_relation_size(pg_catalog.to_regclass($1)),
                (SELECT batch * {BATCH} FROM f),
                (SELECT batch * {BATCH} + count - 1 FROM {journal} ORDER BY batch DESC LIMIT 1),
                (SELECT pg_catalog.to_char(published_at AT TIME ZONE 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM f),
                (SELECT extract(epoch FROM pg_catalog.now() - published_at)::float8 FROM f)",
            journal = names.journal
        )))
        .bind(&names.journal)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            anyhow!(
                "cannot read the journal in schema {}: {e}",
                names.quoted_schema
            )
        })?;
    // The batches a consumer has not finished: from the one holding its position on, with a
    // record of its channels; of the first, only the records past its position count.
    let behind = format!(
        "FROM {journal} j WHERE j.batch >= c.\"position\" / {BATCH} \
           AND coalesce(j.channel = ANY(c.channels), j.channels && c.channels, false) \
           AND j.batch * {BATCH} + j.count - 1 > c.\"position\"",
        journal = names.journal
    );
    let consumers: Vec<ConsumerRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT c.name, c.channels, c.\"position\",
                    (SELECT coalesce(sum(CASE WHEN j.channels IS NULL
                         THEN j.batch * {BATCH} + j.count - 1
                              - GREATEST(c.\"position\", j.batch * {BATCH} - 1)
                         ELSE (SELECT count(*) FROM pg_catalog.unnest(j.channels)
                               WITH ORDINALITY AS x(channel, i)
                               WHERE x.channel = ANY(c.channels)
                                 AND j.batch * {BATCH} + x.i - 1 > c.\"position\") END), 0)::int8
                     {behind}),
                    coalesce((SELECT extract(epoch FROM pg_catalog.now() - j.published_at)::float8
                              {behind} ORDER BY j.batch LIMIT 1), 0),
                    pg_catalog.to_char(c.updated_at AT TIME ZONE 'UTC',
                        'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),
                    extract(epoch FROM pg_catalog.now() - c.updated_at)::float8
             FROM {consumers} c ORDER BY c.name",
        consumers = names.consumers
    )))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| {
        anyhow!(
            "cannot read the consumers in schema {}: {e}",
            names.quoted_schema
        )
    })?;
    Ok(Report {
        schema: names.schema.clone(),
        records,
        bytes,
        first_position: first,
        last_position: last,
        oldest_published_at: oldest,
        oldest_age_s: oldest_age,
        consumers: consumers
            .into_iter()
            .map(
                |(name, channels, position, lag_records, lag_s, stored_at, stored_age_s)| {
                    Consumer {
                        name,
                        channels,
                        position,
                        lag_records,
                        lag_s,
                        stored_at,
                        stored_age_s,
                    }
                },
            )
            .collect(),
    })
}

/// The schemas of every pgpubsub journal in the database (that this role can see).
pub async fn schemas(conn: &mut PgConnection) -> Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT n.nspname::text FROM pg_catalog.pg_class c
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_catalog.pg_description d ON d.objoid = c.oid
              AND d.classoid = 'pg_catalog.pg_class'::regclass AND d.objsubid = 0
         WHERE c.relname = 'journal' AND c.relkind = 'r' AND d.description LIKE $1
           AND pg_catalog.has_table_privilege(c.oid, 'SELECT')
         ORDER BY 1",
    )
    .bind(format!("{MARKER} {{%"))
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| anyhow!("cannot look for journals: {e}"))
}

/// `journal status` for a person: the journal in one line, then a table of consumers. Names
/// are raw here: the output room sanitizes the table's cells and, on a terminal, every line.
pub fn render(report: &Report) -> String {
    let records = match report.records {
        Some(records) => crate::notify::counted(records as u64, "record"),
        None => "records not counted".to_string(),
    };
    let mut text = format!(
        "journal {}: {records}, {}",
        crate::pg::quote::ident(&report.schema),
        bytes(report.bytes)
    );
    match (report.first_position, report.last_position) {
        (Some(first), Some(last)) => text.push_str(&format!(", positions {first}..{last}")),
        _ => text.push_str(", empty"),
    }
    if let (Some(at), Some(age)) = (&report.oldest_published_at, report.oldest_age_s) {
        text.push_str(&format!(", oldest {at} ({} ago)", ago(age)));
    }
    text.push('\n');
    if report.consumers.is_empty() {
        text.push_str("no consumers (listen --durable --consumer NAME registers one)\n");
        return text;
    }
    let rows: Vec<[String; 6]> = report
        .consumers
        .iter()
        .map(|c| {
            [
                c.name.clone(),
                c.channels.join(","),
                c.position.to_string(),
                crate::notify::counted(c.lag_records as u64, "record"),
                ago(c.lag_s),
                format!("{} ago", ago(c.stored_age_s)),
            ]
        })
        .collect();
    let header = [
        "CONSUMER", "CHANNELS", "POSITION", "LAG", "BEHIND", "STORED",
    ];
    text.push_str(&crate::output::table::render(header, rows));
    text
}

/// `12 MB`, `1.5 GB`: sizes as people read them.
fn bytes(n: i64) -> String {
    let n = n as f64;
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.0} kB", n / 1e3),
        n => format!("{n:.0} bytes"),
    }
}

/// A duration in seconds as `3s`, `5m 2s`, `2days 1h`: the two largest units.
pub fn ago(seconds: f64) -> String {
    let whole = std::time::Duration::from_secs(seconds.max(0.0).round() as u64);
    let text = humantime::format_duration(whole).to_string();
    let parts: Vec<&str> = text.split(' ').take(2).collect();
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ages_read_easily() {
        assert_eq!(bytes(512), "512 bytes");
        assert_eq!(bytes(12_300_000), "12.3 MB");
        assert_eq!(ago(0.2), "0s");
        assert_eq!(ago(302.0), "5m 2s");
        assert_eq!(ago(90061.0), "1day 1h");
    }
}
