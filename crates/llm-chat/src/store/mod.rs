//! The only place that speaks SQL. One `Store` serves SQLite and PostgreSQL:
//! both schemas use the same column types as far as Rust sees them (text ids,
//! integer epoch-millisecond times), so every query is written once and runs on
//! whichever pool `DATABASE_URL` chose.

mod api_keys;
mod connect;
mod conversations;
mod error;
mod exchanges;
mod imports;
mod limits;
mod messages;
mod search;
mod sessions;
mod settings;
mod shares;
mod snapshot;
mod usage;
mod user_admin;
mod users;

pub use api_keys::{ApiKey, KeyOwner, NewApiKey};
pub use connect::DatabaseLocation;
pub use conversations::{Conversation, ConversationQuery, ListCursor, NewConversation};
pub use error::StoreError;
pub use imports::ImportTx;
pub use limits::UserLimits;
pub use messages::{Exchange, FinishedMessage, Message, MessageRole, MessageStatus, NewExchange};
pub use search::{MAX_CANDIDATES, SearchRow, SearchTerms, lower};
pub use sessions::{NewSession, Session};
pub use settings::SettingKey;
pub use shares::{NewShare, Share, SharedMessage, SharedSnapshot};
pub use snapshot::SnapshotInfo;
pub use usage::{DAY_MS, NewUsage, UsageOutcome, UsageRow, UsageSource};
pub use user_admin::{AccessChange, Guarded, UserQuery, UserSummary};
pub use users::{NewUser, Role, User, UserCredentials};

use sqlx::{PgPool, SqlitePool};
use std::time::{SystemTime, UNIX_EPOCH};

/// Runs a read-only `$body` with `$pool` bound to the concrete pool of
/// whichever engine is in use. The body is compiled once per engine, so each
/// query is type-checked against both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite { read: $pool, .. } => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Like `on_pool!`, for a body that writes. SQLite allows one writer at a
/// time; writing through a single connection queues writers in the pool
/// instead of letting them collide and back off in SQLite's busy handler.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite { write: $pool, .. } => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_writer;

/// Which database engine a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        exchanges: exchanges::ExchangeQueue,
    },
    Postgres(PgPool),
}

impl Pool {
    /// SQLite's pools, with the task that commits new exchanges through
    /// `write` (so this must run inside the Tokio runtime).
    fn sqlite(read: SqlitePool, write: SqlitePool) -> Pool {
        Pool::Sqlite {
            exchanges: exchanges::ExchangeQueue::start(write.clone()),
            read,
            write,
        }
    }
}

/// Handle to the database; cheap to clone (the pools are reference-counted).
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    settings: std::sync::Arc<settings::Cache>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    fn with_pool(pool: Pool) -> Store {
        Store {
            pool,
            settings: std::sync::Arc::default(),
        }
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite { .. } => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    /// Applies the embedded migrations that the database has not seen yet.
    /// Safe to run from several replicas at once: PostgreSQL takes an advisory lock.
    pub async fn migrate(&self) -> Result<i64, StoreError> {
        let applied = match &self.pool {
            Pool::Sqlite { write, .. } => SQLITE_MIGRATIONS.run(write).await,
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        };
        match applied {
            Ok(()) => self.schema_version().await,
            Err(sqlx::migrate::MigrateError::VersionMissing(found)) => Err(StoreError::SchemaTooNew {
                found,
                known: self.latest_known_version(),
            }),
            Err(sqlx::migrate::MigrateError::ExecuteMigration(sqlx::Error::Database(db), _))
                if db.message().contains("extension") =>
            {
                Err(StoreError::ExtensionRefused(db.message().to_owned()))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// The newest migration applied to the database (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success";
        let version: i64 = on_pool!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?;
        Ok(version)
    }

    /// The newest migration this build knows; a database ahead of it was written by a newer llm-chat.
    pub fn latest_known_version(&self) -> i64 {
        let migrator = match self.pool {
            Pool::Sqlite { .. } => &SQLITE_MIGRATIONS,
            Pool::Postgres(_) => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let _: i64 = on_pool!(self, pool => sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(pool).await)?;
        Ok(())
    }

    /// Connections in use and idle, over every pool.
    pub fn pool_use(&self) -> (u32, u32) {
        let idle_of = |size: u32, idle: usize| {
            (
                size.saturating_sub(u32::try_from(idle).unwrap_or(u32::MAX)),
                u32::try_from(idle).unwrap_or(u32::MAX),
            )
        };
        match &self.pool {
            Pool::Sqlite { read, write, .. } => {
                let (a, b) = idle_of(read.size(), read.num_idle());
                let (c, d) = idle_of(write.size(), write.num_idle());
                (a + c, b + d)
            }
            Pool::Postgres(pool) => idle_of(pool.size(), pool.num_idle()),
        }
    }

    /// Closes every pooled connection; SQLite checkpoints its WAL on the last close.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every time column.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new time-ordered id (UUIDv7), so that ids sort by creation.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
