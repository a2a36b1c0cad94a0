//! A fresh database for one run: a SQLite file in a temporary folder, or a
//! PostgreSQL database created for the run and dropped after it.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
// Database names are made here (a prefix and a process id) or read back from
// pg_database with that prefix; identifiers cannot be bound as parameters.
use sqlx::{AssertSqlSafe, PgPool, SqlitePool};
use std::path::PathBuf;
use std::str::FromStr;

/// Which engine a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineChoice {
    Sqlite,
    Postgres,
}

/// A pool of the harness's own, for seeding and sizing.
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

pub struct Fresh {
    /// What llm-chat is given as `DATABASE_URL`.
    pub url: String,
    kind: Kind,
}

enum Kind {
    Sqlite { file: PathBuf, _folder: tempfile::TempDir },
    Postgres { admin: String, name: String },
}

/// Databases of this harness are named so; leftovers of an interrupted run are dropped.
const PREFIX: &str = "llmchat_bench_";

impl Fresh {
    pub async fn create(engine: EngineChoice, postgres_admin_url: &str) -> Result<Fresh, String> {
        match engine {
            EngineChoice::Sqlite => {
                let folder = tempfile::tempdir().map_err(|e| e.to_string())?;
                let file = folder.path().join("bench.db");
                Ok(Fresh {
                    url: format!("sqlite://{}", file.display()),
                    kind: Kind::Sqlite { file, _folder: folder },
                })
            }
            EngineChoice::Postgres => {
                let admin = admin_pool(postgres_admin_url).await?;
                let leftovers: Vec<String> =
                    sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE $1")
                        .bind(format!("{PREFIX}%"))
                        .fetch_all(&admin)
                        .await
                        .map_err(|e| e.to_string())?;
                for name in leftovers {
                    let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&admin)
                        .await;
                }
                let name = format!("{PREFIX}{}", std::process::id());
                sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin)
                    .await
                    .map_err(|e| format!("cannot create the PostgreSQL database {name}: {e}"))?;
                admin.close().await;
                let (base, _) = postgres_admin_url
                    .rsplit_once('/')
                    .ok_or("the PostgreSQL URL names no database")?;
                Ok(Fresh {
                    url: format!("{base}/{name}"),
                    kind: Kind::Postgres {
                        admin: postgres_admin_url.to_owned(),
                        name,
                    },
                })
            }
        }
    }

    /// A connection for bulk writes: durability is not the point while seeding.
    pub async fn connect(&self) -> Result<Db, String> {
        match &self.kind {
            Kind::Sqlite { file, .. } => {
                let options = SqliteConnectOptions::new()
                    .filename(file)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Off)
                    .foreign_keys(true)
                    .busy_timeout(std::time::Duration::from_secs(30));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Db::Sqlite(pool))
            }
            Kind::Postgres { .. } => {
                let options = PgConnectOptions::from_str(&self.url)
                    .map_err(|e| e.to_string())?
                    .options([("synchronous_commit", "off")]);
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Bytes the database takes on disk.
    pub async fn size_bytes(&self, db: &Db) -> u64 {
        match (&self.kind, db) {
            (Kind::Sqlite { file, .. }, _) => ["", "-wal", "-shm"]
                .iter()
                .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", file.display())).ok())
                .map(|m| m.len())
                .sum(),
            (Kind::Postgres { .. }, Db::Postgres(pool)) => {
                sqlx::query_scalar::<_, i64>("SELECT pg_database_size(current_database())")
                    .fetch_one(pool)
                    .await
                    .ok()
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or(0)
            }
            (Kind::Postgres { .. }, Db::Sqlite(_)) => 0,
        }
    }

    /// Leaves the database in place; returns where it is.
    pub fn keep(self) -> String {
        if let Kind::Sqlite { _folder, .. } = self.kind {
            let _ = _folder.keep();
        }
        self.url
    }

    /// Drops a PostgreSQL database (a SQLite file goes with its folder).
    pub async fn drop_database(self) {
        if let Kind::Postgres { admin, name } = &self.kind
            && let Ok(admin) = admin_pool(admin).await
        {
            let _ = sqlx::query(AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&admin)
                .await;
            admin.close().await;
        }
    }
}

async fn admin_pool(url: &str) -> Result<PgPool, String> {
    PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(|e| format!("cannot connect to PostgreSQL at {url}: {e}"))
}
