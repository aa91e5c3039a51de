//! Step 7: row changes become notifications through a trigger, and arrive as typed events.
//! The table is TEMPORARY and the trigger function lives in `pg_temp`, so even a session that
//! dies before cleanup leaves nothing behind; cleanup (in `demo`) drops both explicitly anyway.

use super::inbox::{self, Inbox};
use super::{Demo, Names};
use crate::error::Result;
use anyhow::{anyhow, Context};
use serde::Deserialize;
use sqlx::postgres::PgConnection;
use sqlx::AssertSqlSafe;
use std::io::Write;

/// A row change as the trigger reports it.
#[derive(Debug, Deserialize, PartialEq, Eq)]
struct RowEvent {
    table: String,
    operation: Operation,
    id: i32,
}

/// The trigger operations (`TG_OP`).
#[derive(Debug, Deserialize, PartialEq, Eq, Clone, Copy)]
#[serde(rename_all = "UPPERCASE")]
enum Operation {
    Insert,
    Update,
    Delete,
}

/// The row changes the step makes, and the events each one must produce.
const CHANGES: [(&str, &[(Operation, i32)]); 3] = [
    (
        "INSERT INTO {table} (id, name) VALUES (1, 'apple'), (2, 'banana'), (3, 'cherry')",
        &[
            (Operation::Insert, 1),
            (Operation::Insert, 2),
            (Operation::Insert, 3),
        ],
    ),
    (
        "UPDATE {table} SET name = 'blueberry' WHERE id = 2",
        &[(Operation::Update, 2)],
    ),
    (
        "DELETE FROM {table} WHERE id = 1",
        &[(Operation::Delete, 1)],
    ),
];

/// Run step 7 on `session`, which owns the temporary objects; returns the events decoded.
pub async fn run<W: Write>(
    demo: &mut Demo<W>,
    session: &mut PgConnection,
    inbox: &mut impl Inbox,
) -> Result<usize> {
    let channel = demo.names.channels[1].clone();
    let n = &mut demo.narrator;
    n.step(7, "Trigger-based notifications")?;
    n.say(&format!(
        "A temporary table with a trigger that reports every change on {channel} as JSON:"
    ))?;
    for sql in setup(&demo.names, &channel) {
        demo.narrator.sql(&sql)?;
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut *session)
            .await
            .context("creating the demo's table and trigger failed")?;
    }
    demo.narrator.say(&format!(
        "Created temporary table {}, trigger {}, function pg_temp.{}.",
        demo.names.table, demo.names.trigger, demo.names.function
    ))?;
    let limit = inbox::patience(demo.interval);
    let mut decoded = 0;
    for (template, expected) in CHANGES {
        let sql = template.replace("{table}", &demo.names.table);
        demo.narrator.sql(&sql)?;
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut *session)
            .await
            .context("changing the demo's table failed")?;
        for &(operation, id) in expected {
            let notification = inbox::next(inbox, limit, "a trigger event").await?;
            demo.narrator.received(
                notification.channel(),
                notification.payload(),
                notification.process_id(),
            )?;
            let event: RowEvent = serde_json::from_str(notification.payload())
                .with_context(|| format!("cannot decode {:?}", notification.payload()))?;
            let want = RowEvent {
                table: demo.names.table.clone(),
                operation,
                id,
            };
            if event != want {
                return Err(anyhow!("expected {want:?}, the trigger sent {event:?}").into());
            }
            demo.narrator.say(&format!("   decoded: {event:?}"))?;
            decoded += 1;
        }
    }
    demo.narrator.fact(&format!(
        "triggers: {} statements changed {decoded} rows; {decoded} events arrived, decoded into \
         RowEvent with serde",
        CHANGES.len()
    ))?;
    Ok(decoded)
}

/// The table, the trigger function (in `pg_temp`, so it dies with the session) and the trigger.
fn setup(names: &Names, channel: &str) -> [String; 3] {
    let Names {
        table,
        function,
        trigger,
        ..
    } = names;
    [
        format!("CREATE TEMPORARY TABLE {table} (id integer PRIMARY KEY, name text NOT NULL)"),
        format!(
            "CREATE FUNCTION pg_temp.{function}() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE row_id integer;
     BEGIN
       IF TG_OP = 'DELETE' THEN row_id := OLD.id; ELSE row_id := NEW.id; END IF;
       PERFORM pg_notify('{channel}', json_build_object(
         'table', TG_TABLE_NAME, 'operation', TG_OP, 'id', row_id)::text);
       RETURN NULL;
     END $$"
        ),
        format!(
            "CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION pg_temp.{function}()"
        ),
    ]
}
