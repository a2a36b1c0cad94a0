//! Imports: writing whole conversations (with their given ids and times)
//! inside one transaction that the caller commits once the file has been read
//! to the end, and remembering where each came from (`imports`, migration
//! 0006) so that a second import of the same file skips them.

use super::{Conversation, Message, Pool, Store, StoreError, now_ms, on_pool};
use sqlx::{Postgres, Sqlite, Transaction};

enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// An open import transaction. Dropping it without [`ImportTx::commit`] rolls
/// everything back, so a file that fails half-way leaves nothing behind.
pub struct ImportTx {
    tx: Tx,
}

/// Runs `$body` with `$conn` bound to the transaction's connection, once per engine.
macro_rules! on_tx {
    ($self:expr, $conn:ident => $body:expr) => {
        match &mut $self.tx {
            Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

const INSERT_CONVERSATION: &str = "INSERT INTO conversations (id, user_id, title, model, system_prompt, params, pinned, archived, \
     current_leaf_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const INSERT_MESSAGES: &str = "INSERT INTO messages (id, conversation_id, parent_id, role, content, reasoning, model, status, \
     error_code, error_message, prompt_tokens, completion_tokens, reasoning_tokens, reasoning_ms, generation_id, finish_reason, \
     created_at, updated_at) VALUES ";
const MESSAGE_COLUMNS: usize = 18;
/// Messages written per statement: one round trip each instead of one per
/// message (an import may bring 100,000), and far below either engine's limit
/// on bound values (SQLite 32,766; PostgreSQL 65,535).
const MESSAGES_PER_INSERT: usize = 64;

/// `INSERT … VALUES ($1, …, $18), ($19, …)` for `rows` messages; built from
/// constants and numbers only.
fn insert_messages_sql(rows: usize) -> String {
    let mut sql = String::from(INSERT_MESSAGES);
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..MESSAGE_COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * MESSAGE_COLUMNS + column + 1).to_string());
        }
        sql.push(')');
    }
    sql
}
const INSERT_SOURCE: &str =
    "INSERT INTO imports (user_id, source_key, conversation_id, imported_at) VALUES ($1, $2, $3, $4)";

impl Store {
    /// Starts an import; on SQLite it holds the writer until committed or dropped.
    pub async fn begin_import(&self) -> Result<ImportTx, StoreError> {
        let tx = match &self.pool {
            Pool::Sqlite { write, .. } => Tx::Sqlite(write.begin().await?),
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        };
        Ok(ImportTx { tx })
    }

    /// The ids of a user's conversations, oldest first, for an export that
    /// reads them one at a time.
    pub async fn conversation_ids(&self, user_id: &str) -> Result<Vec<String>, StoreError> {
        const SQL: &str = "SELECT id FROM conversations WHERE user_id = $1 ORDER BY created_at, id";
        let ids = on_pool!(self, pool => sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await)?;
        Ok(ids)
    }
}

impl ImportTx {
    /// Whether `source_key` was imported by this user before, or (for a
    /// conversation of this server's own archive) the user already has
    /// `own_id`, the conversation itself.
    pub async fn already_here(
        &mut self,
        user_id: &str,
        source_key: &str,
        own_id: Option<&str>,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "SELECT (SELECT COUNT(*) FROM imports WHERE user_id = $1 AND source_key = $2) \
             + (SELECT COUNT(*) FROM conversations WHERE user_id = $1 AND id = $3)";
        let found: i64 = on_tx!(self, conn => sqlx::query_scalar(SQL)
            .bind(user_id)
            .bind(source_key)
            .bind(own_id)
            .fetch_one(conn)
            .await)?;
        Ok(found > 0)
    }

    /// Whether any of these ids is used by a conversation or message (of anyone).
    pub async fn ids_taken(&mut self, conversation_id: &str, message_ids: &[String]) -> Result<bool, StoreError> {
        const CONVERSATION: &str = "SELECT COUNT(*) FROM conversations WHERE id = $1";
        // One query for all of a conversation's messages: SQLite reads the ids
        // from a JSON array, PostgreSQL from a text array.
        const SQLITE_MESSAGES: &str = "SELECT COUNT(*) FROM messages WHERE id IN (SELECT value FROM json_each($1))";
        const POSTGRES_MESSAGES: &str = "SELECT COUNT(*) FROM messages WHERE id = ANY($1)";
        let conversations: i64 =
            on_tx!(self, conn => sqlx::query_scalar(CONVERSATION).bind(conversation_id).fetch_one(conn).await)?;
        if conversations > 0 {
            return Ok(true);
        }
        let messages: i64 = match &mut self.tx {
            Tx::Sqlite(tx) => {
                let ids = serde_json::to_string(message_ids).map_err(|err| StoreError::Corrupt(err.to_string()))?;
                sqlx::query_scalar(SQLITE_MESSAGES)
                    .bind(ids)
                    .fetch_one(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                sqlx::query_scalar(POSTGRES_MESSAGES)
                    .bind(message_ids)
                    .fetch_one(&mut **tx)
                    .await?
            }
        };
        Ok(messages > 0)
    }

    /// Writes a conversation with its messages (parents before children) and
    /// remembers its source. The search index follows through the triggers
    /// (SQLite) and trigram indexes (PostgreSQL) of migration 0005.
    pub async fn insert(
        &mut self,
        source_key: &str,
        conversation: &Conversation,
        messages: &[Message],
    ) -> Result<(), StoreError> {
        on_tx!(self, conn => {
            sqlx::query(INSERT_CONVERSATION)
                .bind(&conversation.id)
                .bind(&conversation.user_id)
                .bind(&conversation.title)
                .bind(&conversation.model)
                .bind(&conversation.system_prompt)
                .bind(&conversation.params)
                .bind(conversation.pinned)
                .bind(conversation.archived)
                .bind(&conversation.current_leaf_id)
                .bind(conversation.created_at)
                .bind(conversation.updated_at)
                .execute(&mut *conn)
                .await?;
            // Parents come before children; the foreign key on `parent_id`
            // is checked at the end of each statement on both engines.
            for chunk in messages.chunks(MESSAGES_PER_INSERT) {
                let mut insert = sqlx::query(sqlx::AssertSqlSafe(insert_messages_sql(chunk.len())));
                for m in chunk {
                    insert = insert
                        .bind(&m.id)
                        .bind(&m.conversation_id)
                        .bind(&m.parent_id)
                        .bind(m.role.as_str())
                        .bind(&m.content)
                        .bind(&m.reasoning)
                        .bind(&m.model)
                        .bind(m.status.as_str())
                        .bind(&m.error_code)
                        .bind(&m.error_message)
                        .bind(m.prompt_tokens)
                        .bind(m.completion_tokens)
                        .bind(m.reasoning_tokens)
                        .bind(m.reasoning_ms)
                        .bind(&m.generation_id)
                        .bind(&m.finish_reason)
                        .bind(m.created_at)
                        .bind(m.updated_at);
                }
                insert.execute(&mut *conn).await?;
            }
            sqlx::query(INSERT_SOURCE)
                .bind(&conversation.user_id)
                .bind(source_key)
                .bind(&conversation.id)
                .bind(now_ms())
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    pub async fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::insert_messages_sql;

    #[test]
    fn a_multi_row_insert_numbers_every_value_once() {
        let sql = insert_messages_sql(2);
        let values = sql.split(" VALUES ").nth(1).unwrap();
        let expected: Vec<String> = [1, 19]
            .iter()
            .map(|first| {
                let numbers: Vec<String> = (*first..first + 18).map(|n| format!("${n}")).collect();
                format!("({})", numbers.join(", "))
            })
            .collect();
        assert_eq!(values, expected.join(", "));
    }
}
