//! Messages: the tree of a conversation (`parent_id`), and the rows a
//! generation writes as it streams.

use super::{Pool, Store, StoreError, now_ms, on_pool, on_writer};

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageRole {
    System,
    User,
    Assistant,
}

impl MessageRole {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageRole::System => "system",
            MessageRole::User => "user",
            MessageRole::Assistant => "assistant",
        }
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Complete.
    Done,
    /// A generation is writing it now.
    Streaming,
    /// Stopped by the user; holds what arrived.
    Cancelled,
    /// The model failed; holds what arrived and the reason.
    Error,
    /// The server stopped while writing it; holds what was saved.
    Interrupted,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Done => "done",
            MessageStatus::Streaming => "streaming",
            MessageStatus::Cancelled => "cancelled",
            MessageStatus::Error => "error",
            MessageStatus::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown value {0:?} in the database")]
pub struct UnknownValue(String);

impl TryFrom<String> for MessageRole {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "system" => Ok(MessageRole::System),
            "user" => Ok(MessageRole::User),
            "assistant" => Ok(MessageRole::Assistant),
            _ => Err(UnknownValue(value)),
        }
    }
}

impl TryFrom<String> for MessageStatus {
    type Error = UnknownValue;
    fn try_from(value: String) -> Result<Self, UnknownValue> {
        match value.as_str() {
            "done" => Ok(MessageStatus::Done),
            "streaming" => Ok(MessageStatus::Streaming),
            "cancelled" => Ok(MessageStatus::Cancelled),
            "error" => Ok(MessageStatus::Error),
            "interrupted" => Ok(MessageStatus::Interrupted),
            _ => Err(UnknownValue(value)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Message {
    pub id: String,
    pub conversation_id: String,
    pub parent_id: Option<String>,
    #[sqlx(try_from = "String")]
    pub role: MessageRole,
    pub content: String,
    pub reasoning: Option<String>,
    pub model: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: MessageStatus,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    /// How long the thinking took, in milliseconds.
    pub reasoning_ms: Option<i64>,
    pub generation_id: Option<String>,
    pub finish_reason: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user message (when sending) and the empty assistant reply a generation
/// will fill, written together with the conversation's new current leaf.
pub struct NewExchange<'a> {
    pub conversation_id: &'a str,
    /// `None` when regenerating: the reply goes under `parent_id` directly.
    pub user_content: Option<&'a str>,
    pub parent_id: Option<&'a str>,
    pub model: &'a str,
    pub generation_id: &'a str,
}

pub struct Exchange {
    pub user_message: Option<Message>,
    pub assistant_message: Message,
}

/// The end of a generation, written once.
pub struct FinishedMessage<'a> {
    pub id: &'a str,
    pub content: &'a str,
    pub reasoning: Option<&'a str>,
    pub status: MessageStatus,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub reasoning_tokens: Option<i64>,
    pub reasoning_ms: Option<i64>,
    pub finish_reason: Option<&'a str>,
}

pub(super) const INSERT: &str = "INSERT INTO messages (id, conversation_id, parent_id, role, content, model, status, generation_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
     RETURNING id, conversation_id, parent_id, role, content, reasoning, model, status, error_code, error_message, \
     prompt_tokens, completion_tokens, reasoning_tokens, reasoning_ms, generation_id, finish_reason, created_at, updated_at";

/// The statements of one exchange, on an open transaction of either engine
/// (`$tx`: `&mut *tx`); evaluates to the `Exchange`, or returns the error.
macro_rules! write_exchange {
    ($tx:expr, $new:expr, $now:expr) => {{
        const LEAF: &str = "UPDATE conversations SET current_leaf_id = $2, updated_at = $3 WHERE id = $1";
        let new: $crate::store::NewExchange<'_> = $new;
        let now: i64 = $now;
        let user_message = match new.user_content {
            Some(content) => Some(
                sqlx::query_as::<_, $crate::store::Message>($crate::store::messages::INSERT)
                    .bind($crate::store::new_id())
                    .bind(new.conversation_id)
                    .bind(new.parent_id)
                    .bind($crate::store::MessageRole::User.as_str())
                    .bind(content)
                    .bind(None::<&str>)
                    .bind($crate::store::MessageStatus::Done.as_str())
                    .bind(None::<&str>)
                    .bind(now)
                    .fetch_one($tx)
                    .await?,
            ),
            None => None,
        };
        let parent = user_message.as_ref().map(|m| m.id.as_str()).or(new.parent_id);
        let assistant_message = sqlx::query_as::<_, $crate::store::Message>($crate::store::messages::INSERT)
            .bind($crate::store::new_id())
            .bind(new.conversation_id)
            .bind(parent)
            .bind($crate::store::MessageRole::Assistant.as_str())
            .bind("")
            .bind(new.model)
            .bind($crate::store::MessageStatus::Streaming.as_str())
            .bind(new.generation_id)
            // One millisecond later, so the reply sorts after its question.
            .bind(now + 1)
            .fetch_one($tx)
            .await?;
        sqlx::query(LEAF)
            .bind(new.conversation_id)
            .bind(&assistant_message.id)
            .bind(now + 1)
            .execute($tx)
            .await?;
        $crate::store::Exchange {
            user_message,
            assistant_message,
        }
    }};
}
pub(super) use write_exchange;

impl Store {
    /// Every message of a conversation, oldest first.
    pub async fn messages_of(&self, conversation_id: &str) -> Result<Vec<Message>, StoreError> {
        const SQL: &str = "SELECT id, conversation_id, parent_id, role, content, reasoning, model, status, error_code, error_message, \
             prompt_tokens, completion_tokens, reasoning_tokens, reasoning_ms, generation_id, finish_reason, created_at, updated_at \
             FROM messages WHERE conversation_id = $1 ORDER BY created_at, id";
        let messages =
            on_pool!(self, pool => sqlx::query_as::<_, Message>(SQL).bind(conversation_id).fetch_all(pool).await)?;
        Ok(messages)
    }

    /// A message if its conversation belongs to `user_id`.
    pub async fn message(&self, id: &str, user_id: &str) -> Result<Message, StoreError> {
        const SQL: &str = "SELECT m.id, m.conversation_id, m.parent_id, m.role, m.content, m.reasoning, m.model, m.status, \
             m.error_code, m.error_message, m.prompt_tokens, m.completion_tokens, m.reasoning_tokens, m.reasoning_ms, m.generation_id, m.finish_reason, \
             m.created_at, m.updated_at \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id = $1 AND c.user_id = $2";
        let message =
            on_pool!(self, pool => sqlx::query_as::<_, Message>(SQL).bind(id).bind(user_id).fetch_one(pool).await)?;
        Ok(message)
    }

    /// A message by id alone, for callers that already checked its owner.
    pub async fn message_by_id(&self, id: &str) -> Result<Message, StoreError> {
        const SQL: &str = "SELECT id, conversation_id, parent_id, role, content, reasoning, model, status, error_code, error_message, \
             prompt_tokens, completion_tokens, reasoning_tokens, reasoning_ms, generation_id, finish_reason, created_at, updated_at FROM messages WHERE id = $1";
        let message = on_pool!(self, pool => sqlx::query_as::<_, Message>(SQL).bind(id).fetch_one(pool).await)?;
        Ok(message)
    }

    /// The assistant message a generation wrote, if its conversation belongs to `user_id`.
    pub async fn message_of_generation(&self, generation_id: &str, user_id: &str) -> Result<Message, StoreError> {
        const SQL: &str = "SELECT m.id, m.conversation_id, m.parent_id, m.role, m.content, m.reasoning, m.model, m.status, \
             m.error_code, m.error_message, m.prompt_tokens, m.completion_tokens, m.reasoning_tokens, m.reasoning_ms, m.generation_id, m.finish_reason, \
             m.created_at, m.updated_at \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.generation_id = $1 AND c.user_id = $2";
        let message = on_pool!(self, pool => sqlx::query_as::<_, Message>(SQL).bind(generation_id).bind(user_id).fetch_one(pool).await)?;
        Ok(message)
    }

    /// Writes the user message (if any) and the streaming assistant reply, and
    /// makes the reply the conversation's current leaf, in one transaction
    /// (on SQLite, one shared with the other exchanges waiting to be written).
    pub async fn insert_exchange(&self, new: NewExchange<'_>) -> Result<Exchange, StoreError> {
        match &self.pool {
            Pool::Sqlite { exchanges, .. } => exchanges.insert(new).await,
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let exchange = write_exchange!(&mut *tx, new, now_ms());
                tx.commit().await?;
                Ok(exchange)
            }
        }
    }

    /// Saves the text of streaming replies so far, in one transaction.
    pub async fn save_streaming_texts(&self, texts: &[(String, String, Option<String>)]) -> Result<(), StoreError> {
        const SQL: &str =
            "UPDATE messages SET content = $2, reasoning = $3, updated_at = $4 WHERE id = $1 AND status = 'streaming'";
        if texts.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            for (id, content, reasoning) in texts {
                sqlx::query(SQL).bind(id).bind(content).bind(reasoning).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Marks streaming replies as alive, so no replica takes them for interrupted.
    pub async fn touch_streaming(&self, ids: &[String]) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE messages SET updated_at = $2 WHERE id = $1 AND status = 'streaming'";
        let now = now_ms();
        on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            for id in ids {
                sqlx::query(SQL).bind(id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes the end state of a generation.
    pub async fn finish_message(&self, done: FinishedMessage<'_>) -> Result<Message, StoreError> {
        const SQL: &str = "UPDATE messages SET content = $2, reasoning = $3, status = $4, error_code = $5, error_message = $6, \
             prompt_tokens = $7, completion_tokens = $8, finish_reason = $9, updated_at = $10, reasoning_tokens = $11, \
             reasoning_ms = $12 WHERE id = $1 \
             RETURNING id, conversation_id, parent_id, role, content, reasoning, model, status, error_code, error_message, \
             prompt_tokens, completion_tokens, reasoning_tokens, reasoning_ms, generation_id, finish_reason, created_at, updated_at";
        let message = on_writer!(self, pool => sqlx::query_as::<_, Message>(SQL)
            .bind(done.id)
            .bind(done.content)
            .bind(done.reasoning)
            .bind(done.status.as_str())
            .bind(done.error_code)
            .bind(done.error_message)
            .bind(done.prompt_tokens)
            .bind(done.completion_tokens)
            .bind(done.finish_reason)
            .bind(now_ms())
            .bind(done.reasoning_tokens)
            .bind(done.reasoning_ms)
            .fetch_one(pool)
            .await)?;
        Ok(message)
    }

    /// Marks replies left `streaming` (by a crash, or a replica that died) as
    /// interrupted, keeping their saved text. `stale_before`: only those not
    /// saved since then; `None`: all of them.
    pub async fn mark_interrupted(&self, stale_before: Option<i64>) -> Result<u64, StoreError> {
        const SQL: &str = "UPDATE messages SET status = 'interrupted', error_code = 'interrupted', \
             error_message = 'The server stopped while this reply was being written; the text saved until then is kept. Regenerate to try again.' \
             WHERE status = 'streaming' AND updated_at < $1";
        let before = stale_before.unwrap_or(i64::MAX);
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(before).execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(rows)
    }
}
