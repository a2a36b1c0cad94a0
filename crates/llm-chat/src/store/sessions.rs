//! Sign-in sessions: each access token names one, so a token can be revoked
//! (logout, password change) before it expires.

use super::users::expect_one_row;
use super::{Store, StoreError, User, new_id, now_ms, on_pool, on_writer};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
}

pub struct NewSession<'a> {
    pub user_id: &'a str,
    pub expires_at: i64,
}

impl Store {
    pub async fn insert_session(&self, new: NewSession<'_>) -> Result<Session, StoreError> {
        const SQL: &str = "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, user_id, created_at, expires_at, revoked_at";
        let session = on_writer!(self, pool => sqlx::query_as::<_, Session>(SQL)
            .bind(new_id())
            .bind(new.user_id)
            .bind(now_ms())
            .bind(new.expires_at)
            .fetch_one(pool)
            .await)?;
        Ok(session)
    }

    /// The user behind a session that is neither revoked nor expired.
    /// `NotFound` covers every reason a token must stop working.
    pub async fn user_of_live_session(&self, session_id: &str, user_id: &str) -> Result<User, StoreError> {
        const SQL: &str = "SELECT u.id, u.username, u.role, u.disabled, u.created_at, u.updated_at \
             FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3";
        let user = on_pool!(self, pool => sqlx::query_as::<_, User>(SQL)
            .bind(session_id)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(pool)
            .await)?;
        Ok(user)
    }

    pub async fn revoke_session(&self, session_id: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(session_id).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }

    /// Ends every session of a user except `keep` (the one changing the password, say).
    pub async fn revoke_user_sessions(&self, user_id: &str, keep: Option<&str>) -> Result<u64, StoreError> {
        const SQL: &str = "UPDATE sessions SET revoked_at = $3 \
             WHERE user_id = $1 AND revoked_at IS NULL AND ($2 IS NULL OR id <> $2)";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(user_id).bind(keep).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(rows)
    }

    /// Forgets sessions that expired more than `grace_ms` ago; they can never be used again.
    pub async fn delete_expired_sessions(&self, grace_ms: i64) -> Result<u64, StoreError> {
        const SQL: &str = "DELETE FROM sessions WHERE expires_at < $1";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(now_ms() - grace_ms).execute(pool).await.map(|done| done.rows_affected()))?;
        Ok(rows)
    }
}
