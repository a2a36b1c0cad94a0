//! Keys for the OpenAI-compatible API. Only a hash of each key is stored;
//! a revoked key stays as a row (so its hash can never match again) but is
//! no longer listed.

use super::users::expect_one_row;
use super::{Store, StoreError, User, new_id, now_ms, on_pool, on_writer};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKey {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub prefix: String,
    /// Comma-separated.
    pub scopes: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

pub struct NewApiKey<'a> {
    pub user_id: &'a str,
    pub name: &'a str,
    pub prefix: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a str,
}

/// A live key and the account it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyOwner {
    pub key_id: String,
    pub scopes: String,
    #[sqlx(flatten)]
    pub user: User,
}

impl Store {
    pub async fn insert_api_key(&self, new: NewApiKey<'_>) -> Result<ApiKey, StoreError> {
        const SQL: &str = "INSERT INTO api_keys (id, user_id, name, prefix, key_hash, scopes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING id, user_id, name, prefix, scopes, created_at, last_used_at";
        let key = on_writer!(self, pool => sqlx::query_as::<_, ApiKey>(SQL)
            .bind(new_id())
            .bind(new.user_id)
            .bind(new.name)
            .bind(new.prefix)
            .bind(new.key_hash)
            .bind(new.scopes)
            .bind(now_ms())
            .fetch_one(pool)
            .await)?;
        Ok(key)
    }

    /// A user's keys that are not revoked, newest first.
    pub async fn api_keys_of(&self, user_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        const SQL: &str = "SELECT id, user_id, name, prefix, scopes, created_at, last_used_at FROM api_keys \
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC";
        let keys = on_pool!(self, pool => sqlx::query_as::<_, ApiKey>(SQL).bind(user_id).fetch_all(pool).await)?;
        Ok(keys)
    }

    /// Revokes one of `user_id`'s keys; `NotFound` when it is not theirs or already revoked.
    pub async fn revoke_api_key(&self, id: &str, user_id: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(id).bind(user_id).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }

    /// The live key with this hash and its owner.
    pub async fn api_key_owner(&self, key_hash: &str) -> Result<KeyOwner, StoreError> {
        const SQL: &str = "SELECT k.id AS key_id, k.scopes, u.id, u.username, u.role, u.disabled, u.created_at, u.updated_at \
             FROM api_keys k JOIN users u ON u.id = k.user_id \
             WHERE k.key_hash = $1 AND k.revoked_at IS NULL";
        let owner = on_pool!(self, pool => sqlx::query_as::<_, KeyOwner>(SQL).bind(key_hash).fetch_one(pool).await)?;
        Ok(owner)
    }

    pub async fn touch_api_key(&self, id: &str, at: i64) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1";
        on_writer!(self, pool => sqlx::query(SQL).bind(id).bind(at).execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(())
    }
}
