//! Share links: a snapshot of a conversation's branch behind a random token.
//! The owner's queries name the owner, so another user's link is not found;
//! the public lookup answers only links that are live (not revoked, not
//! expired, their owner's account enabled).

use super::users::expect_one_row;
use super::{MessageRole, Store, StoreError, new_id, now_ms, on_pool, on_writer};
use serde::{Deserialize, Serialize};

/// One message as a share link shows it: nothing but what a reader sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SharedMessage {
    pub role: MessageRole,
    /// Markdown text, as the model or user wrote it (clients render it sanitised).
    pub content: String,
    /// The model that wrote a reply; `null` for the user's messages.
    pub model: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

/// A share link as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Share {
    pub id: String,
    pub conversation_id: String,
    /// The conversation's title now (it may have been renamed since).
    pub conversation_title: String,
    pub token: String,
    /// The title in the snapshot.
    pub title: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What the public link shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedSnapshot {
    pub title: String,
    pub created_at: i64,
    pub messages: Vec<SharedMessage>,
}

pub struct NewShare<'a> {
    pub user_id: &'a str,
    pub conversation_id: &'a str,
    pub token: &'a str,
    pub title: &'a str,
    pub messages: &'a [SharedMessage],
    pub expires_at: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct SnapshotRow {
    title: String,
    created_at: i64,
    messages: String,
}

/// The owner's view of a link, with its conversation's title now.
macro_rules! select_share {
    ($where:literal) => {
        concat!(
            "SELECT s.id, s.conversation_id, c.title AS conversation_title, s.token, s.title, s.created_at, \
             s.expires_at, s.revoked_at FROM shares s JOIN conversations c ON c.id = s.conversation_id ",
            $where
        )
    };
}

impl Store {
    pub async fn insert_share(&self, new: NewShare<'_>) -> Result<Share, StoreError> {
        const INSERT: &str = "INSERT INTO shares (id, user_id, conversation_id, token, title, messages, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        let messages = serde_json::to_string(new.messages)
            .map_err(|err| StoreError::Corrupt(format!("a share's messages cannot be stored: {err}")))?;
        let id = new_id();
        on_writer!(self, pool => sqlx::query(INSERT)
            .bind(&id)
            .bind(new.user_id)
            .bind(new.conversation_id)
            .bind(new.token)
            .bind(new.title)
            .bind(&messages)
            .bind(now_ms())
            .bind(new.expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        // Read back through the writer: a SQLite reader may not see the row yet.
        const READ: &str = select_share!("WHERE s.id = $1");
        let share = on_writer!(self, pool => sqlx::query_as::<_, Share>(READ).bind(&id).fetch_one(pool).await)?;
        Ok(share)
    }

    /// A user's links, newest first, revoked and expired ones included;
    /// only those of one conversation when `conversation_id` is given.
    pub async fn shares_of(&self, user_id: &str, conversation_id: Option<&str>) -> Result<Vec<Share>, StoreError> {
        const SQL: &str = select_share!(
            "WHERE s.user_id = $1 AND ($2 IS NULL OR s.conversation_id = $2) ORDER BY s.created_at DESC, s.id DESC"
        );
        let shares = on_pool!(self, pool => sqlx::query_as::<_, Share>(SQL)
            .bind(user_id)
            .bind(conversation_id)
            .fetch_all(pool)
            .await)?;
        Ok(shares)
    }

    /// Revokes one of `user_id`'s links; `NotFound` when it is not theirs or already revoked.
    pub async fn revoke_share(&self, id: &str, user_id: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE shares SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }

    /// The snapshot behind `token` if the link is live at `now`; `NotFound`
    /// otherwise, whatever the reason, so a stranger learns nothing.
    pub async fn live_share(&self, token: &str, now: i64) -> Result<SharedSnapshot, StoreError> {
        const SQL: &str = "SELECT s.title, s.created_at, s.messages FROM shares s JOIN users u ON u.id = s.user_id \
             WHERE s.token = $1 AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $2) \
             AND u.disabled = FALSE";
        let row =
            on_pool!(self, pool => sqlx::query_as::<_, SnapshotRow>(SQL).bind(token).bind(now).fetch_one(pool).await)?;
        let messages = serde_json::from_str(&row.messages)
            .map_err(|err| StoreError::Corrupt(format!("a share's messages are unreadable: {err}")))?;
        Ok(SharedSnapshot {
            title: row.title,
            created_at: row.created_at,
            messages,
        })
    }
}
