//! Accounts as an administrator manages them: searching, changing role or
//! access, and deleting with everything the account owns. Changes that could
//! leave the server without an enabled admin are refused inside the same
//! transaction that would make them.

use super::conversations::like_pattern;
use super::users::{Role, User};
use super::{Pool, Store, StoreError, now_ms, on_pool, on_writer};

/// An account in the admin's list.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserSummary {
    #[sqlx(flatten)]
    pub user: User,
    pub conversation_count: i64,
}

/// Which accounts to list: ordered by id (creation order), after `after`.
pub struct UserQuery<'a> {
    /// Case-insensitive substring of the username.
    pub username_contains: Option<&'a str>,
    pub after: Option<&'a str>,
    pub limit: i64,
}

/// What an admin changes on an account; `None` leaves a field as it is.
#[derive(Debug, Default, Clone, Copy)]
pub struct AccessChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
}

/// The result of a change guarded by the last-admin rule.
#[derive(Debug)]
pub enum Guarded<T> {
    Done(T),
    /// Refused: it would leave no enabled administrator.
    LastAdmin,
}

const SELECT_USER: &str = "SELECT id, username, role, disabled, created_at, updated_at FROM users WHERE id = $1";

/// Serialises last-admin checks on PostgreSQL, where two transactions could
/// otherwise each see the other admin still enabled; SQLite has one writer.
const ADMIN_GUARD_LOCK: &str = "SELECT pg_advisory_xact_lock(7415)";

const COUNT_OTHER_ADMINS: &str = "SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = FALSE AND id <> $1";

impl Store {
    pub async fn search_users(&self, query: UserQuery<'_>) -> Result<Vec<UserSummary>, StoreError> {
        const SQL: &str = "SELECT u.id, u.username, u.role, u.disabled, u.created_at, u.updated_at, \
             (SELECT COUNT(*) FROM conversations c WHERE c.user_id = u.id) AS conversation_count \
             FROM users u \
             WHERE ($1 IS NULL OR lower(u.username) LIKE $1 ESCAPE '\\') AND ($2 IS NULL OR u.id > $2) \
             ORDER BY u.id LIMIT $3";
        let pattern = query.username_contains.map(like_pattern);
        let rows = on_pool!(self, pool => sqlx::query_as::<_, UserSummary>(SQL)
            .bind(pattern)
            .bind(query.after)
            .bind(query.limit)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Changes role and/or access, unless that leaves no enabled admin.
    pub async fn change_access(&self, user_id: &str, change: AccessChange) -> Result<Guarded<User>, StoreError> {
        const SQL: &str = "UPDATE users SET role = $2, disabled = $3, updated_at = $4 WHERE id = $1 \
             RETURNING id, username, role, disabled, created_at, updated_at";
        let is_postgres = matches!(self.pool, Pool::Postgres(_));
        let outcome = on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if is_postgres {
                sqlx::query(ADMIN_GUARD_LOCK).execute(&mut *tx).await?;
            }
            let current = sqlx::query_as::<_, User>(SELECT_USER).bind(user_id).fetch_one(&mut *tx).await?;
            let role = change.role.unwrap_or(current.role);
            let disabled = change.disabled.unwrap_or(current.disabled);
            let loses_admin = is_enabled_admin(current.role, current.disabled) && !is_enabled_admin(role, disabled);
            let others: i64 = if loses_admin {
                sqlx::query_scalar(COUNT_OTHER_ADMINS).bind(user_id).fetch_one(&mut *tx).await?
            } else {
                1
            };
            if others == 0 {
                Guarded::LastAdmin
            } else {
                let user = sqlx::query_as::<_, User>(SQL)
                    .bind(user_id)
                    .bind(role.as_str())
                    .bind(disabled)
                    .bind(now_ms())
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Guarded::Done(user)
            }
        });
        Ok(outcome)
    }

    /// Deletes an account and, through the foreign keys, its sessions, keys,
    /// conversations and messages; refused for the last enabled admin.
    pub async fn delete_user(&self, user_id: &str) -> Result<Guarded<User>, StoreError> {
        const SQL: &str = "DELETE FROM users WHERE id = $1";
        let is_postgres = matches!(self.pool, Pool::Postgres(_));
        let outcome = on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            if is_postgres {
                sqlx::query(ADMIN_GUARD_LOCK).execute(&mut *tx).await?;
            }
            let current = sqlx::query_as::<_, User>(SELECT_USER).bind(user_id).fetch_one(&mut *tx).await?;
            let others: i64 = if is_enabled_admin(current.role, current.disabled) {
                sqlx::query_scalar(COUNT_OTHER_ADMINS).bind(user_id).fetch_one(&mut *tx).await?
            } else {
                1
            };
            if others == 0 {
                Guarded::LastAdmin
            } else {
                sqlx::query(SQL).bind(user_id).execute(&mut *tx).await?;
                tx.commit().await?;
                Guarded::Done(current)
            }
        });
        Ok(outcome)
    }
}

fn is_enabled_admin(role: Role, disabled: bool) -> bool {
    role == Role::Admin && !disabled
}
