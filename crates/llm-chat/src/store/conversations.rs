//! Conversations: one row each, owned by a user. Every query names the owner,
//! so another user's conversation is simply not found.

use super::users::expect_one_row;
use super::{Store, StoreError, new_id, now_ms, on_pool, on_writer};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conversation {
    pub id: String,
    pub user_id: String,
    pub title: String,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    /// Generation parameters as a JSON object.
    pub params: String,
    pub pinned: bool,
    pub archived: bool,
    pub current_leaf_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub struct NewConversation<'a> {
    pub user_id: &'a str,
    pub title: &'a str,
    pub model: Option<&'a str>,
    pub system_prompt: Option<&'a str>,
    pub params: &'a str,
}

/// Which conversations to list, and from where.
pub struct ConversationQuery<'a> {
    pub user_id: &'a str,
    pub archived: bool,
    /// Case-insensitive substring of the title.
    pub title_contains: Option<&'a str>,
    pub after: Option<ListCursor>,
    pub limit: i64,
}

/// Position in the listing order (pinned first, then newest activity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCursor {
    pub pinned: bool,
    pub updated_at: i64,
    pub id: String,
}

impl ListCursor {
    pub fn of(conversation: &Conversation) -> ListCursor {
        ListCursor {
            pinned: conversation.pinned,
            updated_at: conversation.updated_at,
            id: conversation.id.clone(),
        }
    }

    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        format!("{}.{}.{}", u8::from(self.pinned), self.updated_at, self.id)
    }

    pub fn decode(raw: &str) -> Option<ListCursor> {
        let mut parts = raw.splitn(3, '.');
        let pinned = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        let updated_at = parts.next()?.parse().ok()?;
        let id = parts.next().filter(|id| !id.is_empty())?.to_owned();
        Some(ListCursor { pinned, updated_at, id })
    }
}

/// `%…%` with the LIKE wildcards of the search text escaped.
pub(super) fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{}%", escaped.to_lowercase())
}

impl Store {
    pub async fn insert_conversation(&self, new: NewConversation<'_>) -> Result<Conversation, StoreError> {
        const SQL: &str = "INSERT INTO conversations (id, user_id, title, model, system_prompt, params, pinned, archived, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, FALSE, FALSE, $7, $7) \
             RETURNING id, user_id, title, model, system_prompt, params, pinned, archived, current_leaf_id, created_at, updated_at";
        let conversation = on_writer!(self, pool => sqlx::query_as::<_, Conversation>(SQL)
            .bind(new_id())
            .bind(new.user_id)
            .bind(new.title)
            .bind(new.model)
            .bind(new.system_prompt)
            .bind(new.params)
            .bind(now_ms())
            .fetch_one(pool)
            .await)?;
        Ok(conversation)
    }

    /// A page of a user's conversations, pinned first, then newest activity.
    pub async fn list_conversations(&self, query: ConversationQuery<'_>) -> Result<Vec<Conversation>, StoreError> {
        const FIRST: &str = "SELECT id, user_id, title, model, system_prompt, params, pinned, archived, current_leaf_id, created_at, updated_at \
             FROM conversations WHERE user_id = $1 AND archived = $2 \
             AND ($3 IS NULL OR lower(title) LIKE $3 ESCAPE '\\') \
             ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT $4";
        const NEXT: &str = "SELECT id, user_id, title, model, system_prompt, params, pinned, archived, current_leaf_id, created_at, updated_at \
             FROM conversations WHERE user_id = $1 AND archived = $2 \
             AND ($3 IS NULL OR lower(title) LIKE $3 ESCAPE '\\') \
             AND (pinned, updated_at, id) < ($5, $6, $7) \
             ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT $4";
        let pattern = query.title_contains.map(like_pattern);
        let rows = match &query.after {
            None => on_pool!(self, pool => sqlx::query_as::<_, Conversation>(FIRST)
                .bind(query.user_id)
                .bind(query.archived)
                .bind(pattern.as_deref())
                .bind(query.limit)
                .fetch_all(pool)
                .await)?,
            Some(cursor) => on_pool!(self, pool => sqlx::query_as::<_, Conversation>(NEXT)
                .bind(query.user_id)
                .bind(query.archived)
                .bind(pattern.as_deref())
                .bind(query.limit)
                .bind(cursor.pinned)
                .bind(cursor.updated_at)
                .bind(&cursor.id)
                .fetch_all(pool)
                .await)?,
        };
        Ok(rows)
    }

    /// The conversation if it exists and belongs to `user_id`.
    pub async fn conversation(&self, id: &str, user_id: &str) -> Result<Conversation, StoreError> {
        const SQL: &str = "SELECT id, user_id, title, model, system_prompt, params, pinned, archived, current_leaf_id, created_at, updated_at \
             FROM conversations WHERE id = $1 AND user_id = $2";
        let conversation = on_pool!(self, pool => sqlx::query_as::<_, Conversation>(SQL).bind(id).bind(user_id).fetch_one(pool).await)?;
        Ok(conversation)
    }

    /// Writes back every editable field of `conversation` (owner-checked).
    pub async fn save_conversation(&self, conversation: &Conversation) -> Result<Conversation, StoreError> {
        const SQL: &str = "UPDATE conversations SET title = $3, model = $4, system_prompt = $5, params = $6, \
             pinned = $7, archived = $8, current_leaf_id = $9, updated_at = $10 \
             WHERE id = $1 AND user_id = $2 \
             RETURNING id, user_id, title, model, system_prompt, params, pinned, archived, current_leaf_id, created_at, updated_at";
        let saved = on_writer!(self, pool => sqlx::query_as::<_, Conversation>(SQL)
            .bind(&conversation.id)
            .bind(&conversation.user_id)
            .bind(&conversation.title)
            .bind(&conversation.model)
            .bind(&conversation.system_prompt)
            .bind(&conversation.params)
            .bind(conversation.pinned)
            .bind(conversation.archived)
            .bind(&conversation.current_leaf_id)
            .bind(conversation.updated_at)
            .fetch_one(pool)
            .await)?;
        Ok(saved)
    }

    /// Sets the title unless one was set meanwhile; true when it was set.
    pub async fn set_title_if_empty(&self, id: &str, title: &str) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE conversations SET title = $2 WHERE id = $1 AND title = ''";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(id).bind(title).execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(rows == 1)
    }

    /// Deletes a conversation with all its messages.
    pub async fn delete_conversation(&self, id: &str, user_id: &str) -> Result<(), StoreError> {
        const SQL: &str = "DELETE FROM conversations WHERE id = $1 AND user_id = $2";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let cursor = ListCursor {
            pinned: true,
            updated_at: 42,
            id: "01a-b".into(),
        };
        assert_eq!(ListCursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "2.1.x", "1.x.y", "1.5."] {
            assert_eq!(ListCursor::decode(bad), None, "{bad}");
        }
    }

    #[test]
    fn like_wildcards_in_search_text_are_literal() {
        assert_eq!(like_pattern("50%_Off\\"), "%50\\%\\_off\\\\%");
    }
}
