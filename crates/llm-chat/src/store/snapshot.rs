//! SQL for backups and restores of a SQLite database: consistent online
//! snapshots (`VACUUM INTO`), integrity checks, and replacing the contents of
//! a live database in one transaction. PostgreSQL is backed up with its own
//! tools (`pg_dump`), so these refuse it.

use super::{Pool, Store, StoreError};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::{AssertSqlSafe, Row};
use std::path::Path;

/// What a snapshot file holds, as checked before it is trusted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// The newest migration applied to it.
    pub schema_version: i64,
    /// How many accounts it holds (a quick sign that it is the right file).
    pub users: i64,
}

fn sqlite_only() -> StoreError {
    StoreError::Unavailable("this operation works on SQLite only; back up PostgreSQL with pg_dump".to_owned())
}

impl Store {
    /// Opens a SQLite file that is not the live database (a snapshot being
    /// made or checked), switched to a rollback journal so that it stays one
    /// self-contained file.
    pub async fn open_snapshot(path: &Path) -> Result<Store, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .journal_mode(SqliteJournalMode::Delete)
            .foreign_keys(false);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Ok(Store::with_pool(Pool::sqlite(pool.clone(), pool)))
    }

    /// Writes a consistent copy of the whole database to `path` (which must not
    /// exist) while other connections go on reading and writing: `VACUUM INTO`
    /// reads one snapshot of the WAL database and writes it compacted.
    pub async fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        let Pool::Sqlite { read: pool, .. } = &self.pool else {
            return Err(sqlite_only());
        };
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(pool)
            .await?;
        Ok(())
    }

    /// SQLite's own consistency check of every page and index.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        let Pool::Sqlite { read: pool, .. } = &self.pool else {
            return Err(sqlite_only());
        };
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check").fetch_all(pool).await?;
        if problems.len() == 1 && problems[0] == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(format!(
                "integrity check failed: {}",
                problems.join("; ")
            )))
        }
    }

    /// Checks that a SQLite file is an llm-chat database and reads what it holds.
    pub async fn snapshot_info(&self) -> Result<SnapshotInfo, StoreError> {
        self.integrity_check().await?;
        let Pool::Sqlite { read: pool, .. } = &self.pool else {
            return Err(sqlite_only());
        };
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('_sqlx_migrations', 'users')",
        )
        .fetch_all(pool)
        .await?;
        if tables.len() != 2 {
            return Err(StoreError::Corrupt(
                "this SQLite file is not an llm-chat database (it has no migrations or users table)".to_owned(),
            ));
        }
        Ok(SnapshotInfo {
            schema_version: self.schema_version().await?,
            users: self.count_users().await?,
        })
    }

    /// Replaces every row of this (live) database with the rows of the SQLite
    /// file `source`, in one transaction: connections of a running server see
    /// the old data until the commit and the restored data after it.
    ///
    /// Both files must have the same schema (migrate `source` first). Triggers
    /// are dropped and re-created inside the transaction so that they do not
    /// fire on the copy; virtual tables are restored through their shadow tables.
    pub async fn replace_contents_from(&self, source: &Path) -> Result<u64, StoreError> {
        let Pool::Sqlite { write: pool, .. } = &self.pool else {
            return Err(sqlite_only());
        };
        let mut conn = pool.acquire().await?;
        // Off for this connection only: the copy is consistent as a whole, not row by row.
        sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await?;
        sqlx::query("ATTACH DATABASE $1 AS restored")
            .bind(source.to_string_lossy().into_owned())
            .execute(&mut *conn)
            .await?;
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
        let copied = copy_all_tables(&mut conn).await;
        let finished = match copied {
            Ok(rows) => sqlx::query("COMMIT")
                .execute(&mut *conn)
                .await
                .map(|_| rows)
                .map_err(StoreError::from),
            Err(err) => {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                Err(err)
            }
        };
        let _ = sqlx::query("DETACH DATABASE restored").execute(&mut *conn).await;
        let _ = sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await;
        finished
    }
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn copy_all_tables(conn: &mut sqlx::SqliteConnection) -> Result<u64, StoreError> {
    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
            .fetch_all(&mut *conn)
            .await?;
    for (name, _) in &triggers {
        sqlx::query(AssertSqlSafe(format!("DROP TRIGGER main.{}", quoted(name))))
            .execute(&mut *conn)
            .await?;
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM main.sqlite_master WHERE type = 'table' \
         AND (name NOT LIKE 'sqlite_%' OR name = 'sqlite_sequence') \
         AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = 0;
    for table in &tables {
        let columns = column_list(conn, "main", table).await?;
        if column_list(conn, "restored", table).await? != columns {
            return Err(StoreError::Corrupt(format!(
                "table {table} differs between the backup and the live database; migrate the backup first"
            )));
        }
        let list = columns.iter().map(|c| quoted(c)).collect::<Vec<_>>().join(", ");
        let t = quoted(table);
        sqlx::query(AssertSqlSafe(format!("DELETE FROM main.{t}")))
            .execute(&mut *conn)
            .await?;
        rows += sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO main.{t} ({list}) SELECT {list} FROM restored.{t}"
        )))
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    for (_, sql) in &triggers {
        sqlx::query(AssertSqlSafe(sql.clone())).execute(&mut *conn).await?;
    }
    Ok(rows)
}

async fn column_list(conn: &mut sqlx::SqliteConnection, schema: &str, table: &str) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT name FROM pragma_table_info($1, $2) ORDER BY cid")
        .bind(table)
        .bind(schema)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().filter_map(|row| row.try_get::<String, _>(0).ok()).collect())
}
