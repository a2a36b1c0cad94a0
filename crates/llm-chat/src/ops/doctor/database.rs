//! The database check: the seed's "unable to open database file" and
//! "database connection failed", answered before the server is started.

use super::Finding;
use crate::config::Config;
use crate::ops::lock::server_is_running;
use crate::store::{DatabaseLocation, Store};
use std::time::Duration;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn check(config: &Config) -> Vec<Finding> {
    if let DatabaseLocation::Sqlite { path } = &config.database
        && !path.exists()
    {
        return vec![Finding::ok(
            "database",
            format!(
                "{} does not exist yet; the server creates it at its first start",
                path.display()
            ),
        )];
    }
    let store = match tokio::time::timeout(CONNECT_TIMEOUT, Store::connect(&config.database)).await {
        Ok(Ok(store)) => store,
        Ok(Err(err)) => return vec![Finding::fail("database", format!("{err}. {}", fix(config)))],
        Err(_) => {
            return vec![Finding::fail(
                "database",
                format!("no answer within {} s. {}", CONNECT_TIMEOUT.as_secs(), fix(config)),
            )];
        }
    };
    let mut findings = Vec::new();
    match (store.schema_version().await, store.latest_known_version()) {
        (Ok(found), known) if found > known => findings.push(Finding::fail(
            "database",
            format!("schema version {found} was written by a newer llm-chat (this one knows {known}). Fix: run that release or newer, or restore a backup made by this one"),
        )),
        (Ok(found), known) => findings.push(Finding::ok(
            "database",
            format!("{} answers, schema version {found} of {known}", config.database),
        )),
        // A database the server never started on has no migrations table yet.
        (Err(_), _) => findings.push(Finding::ok(
            "database",
            format!("{} answers; the server creates its tables at its first start", config.database),
        )),
    }
    if let DatabaseLocation::Sqlite { path } = &config.database {
        findings.push(match store.integrity_check().await {
            Ok(()) => Finding::ok("database integrity", "SQLite integrity check passed"),
            Err(err) => Finding::fail(
                "database integrity",
                format!("{err}. Fix: stop the server and restore the newest backup (`llm-chat restore FILE`; see docs/deployment.md)"),
            ),
        });
        if server_is_running(path) {
            findings.push(Finding::ok("server", "an llm-chat server is running on this database"));
        }
    }
    store.close().await;
    findings
}

fn fix(config: &Config) -> &'static str {
    match config.database {
        DatabaseLocation::Sqlite { .. } => {
            "Fix: check DATABASE_URL (in Docker: sqlite:////app/db/conversation.db on the backend-db volume)"
        }
        DatabaseLocation::Postgres { .. } => {
            "Fix: check DATABASE_URL (user, password, host, port, database name) and that PostgreSQL runs and \
             accepts connections from this host; with the compose postgres profile the host is `postgres`"
        }
    }
}
