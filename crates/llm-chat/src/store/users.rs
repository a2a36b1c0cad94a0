//! Accounts: who can sign in, with which role.

use super::{Store, StoreError, new_id, now_ms, on_pool, on_writer};
use serde::Serialize;

/// What an account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    User,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::User => "user",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?} in the database")]
pub struct UnknownRole(String);

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        match value.as_str() {
            "admin" => Ok(Role::Admin),
            "user" => Ok(Role::User),
            _ => Err(UnknownRole(value)),
        }
    }
}

/// An account as the rest of the system sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub username: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub disabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An account with its password hash, for signing in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserCredentials {
    #[sqlx(flatten)]
    pub user: User,
    pub password_hash: String,
}

/// What creating an account needs; the username is already validated.
pub struct NewUser<'a> {
    pub username: &'a str,
    pub password_hash: &'a str,
    /// `None`: admin when this is the first account, otherwise user.
    pub role: Option<Role>,
}

const INSERT_USER: &str = "INSERT INTO users (id, username, password_hash, role, disabled, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, FALSE, $5, $5) \
     RETURNING id, username, role, disabled, created_at, updated_at";

impl Store {
    /// Creates an account. A taken username (in any letter case) is a `Conflict`.
    ///
    /// With no role asked for, the first account of a fresh installation becomes
    /// admin and later ones users. The claim on the `first_admin` setting decides,
    /// so two simultaneous first sign-ups cannot both become admin; an admin
    /// created from the command line makes the claim too.
    pub async fn insert_user(&self, new: NewUser<'_>) -> Result<User, StoreError> {
        const CLAIM: &str = "INSERT INTO settings (key, value, updated_at) VALUES ('first_admin', $1, $2) \
             ON CONFLICT (key) DO NOTHING";
        let id = new_id();
        let now = now_ms();
        let claim_value = serde_json::Value::String(id.clone()).to_string();
        let user = on_writer!(self, pool => {
            let mut tx = pool.begin().await?;
            let role = if new.role.is_none_or(|role| role == Role::Admin) {
                let claimed = sqlx::query(CLAIM).bind(&claim_value).bind(now).execute(&mut *tx).await?.rows_affected() == 1;
                new.role.unwrap_or(if claimed { Role::Admin } else { Role::User })
            } else {
                Role::User
            };
            let user = sqlx::query_as::<_, User>(INSERT_USER)
                .bind(&id)
                .bind(new.username)
                .bind(new.password_hash)
                .bind(role.as_str())
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            user
        });
        Ok(user)
    }

    pub async fn user_by_id(&self, id: &str) -> Result<User, StoreError> {
        const SQL: &str = "SELECT id, username, role, disabled, created_at, updated_at FROM users WHERE id = $1";
        let user = on_pool!(self, pool => sqlx::query_as::<_, User>(SQL).bind(id).fetch_one(pool).await)?;
        Ok(user)
    }

    /// Looks an account up by name, ignoring letter case.
    pub async fn credentials_by_username(&self, username: &str) -> Result<UserCredentials, StoreError> {
        const SQL: &str = "SELECT id, username, role, disabled, created_at, updated_at, password_hash \
             FROM users WHERE lower(username) = lower($1)";
        let found =
            on_pool!(self, pool => sqlx::query_as::<_, UserCredentials>(SQL).bind(username).fetch_one(pool).await)?;
        Ok(found)
    }

    pub async fn credentials_by_id(&self, id: &str) -> Result<UserCredentials, StoreError> {
        const SQL: &str = "SELECT id, username, role, disabled, created_at, updated_at, password_hash \
             FROM users WHERE id = $1";
        let found = on_pool!(self, pool => sqlx::query_as::<_, UserCredentials>(SQL).bind(id).fetch_one(pool).await)?;
        Ok(found)
    }

    pub async fn set_password_hash(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(user_id).bind(password_hash).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }

    pub async fn set_role(&self, user_id: &str, role: Role) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE users SET role = $2, updated_at = $3 WHERE id = $1";
        let rows = on_writer!(self, pool => sqlx::query(SQL).bind(user_id).bind(role.as_str()).bind(now_ms()).execute(pool).await.map(|done| done.rows_affected()))?;
        expect_one_row(rows)
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM users";
        let count: i64 = on_pool!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?;
        Ok(count)
    }

    /// Every account, oldest first.
    pub async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        const SQL: &str =
            "SELECT id, username, role, disabled, created_at, updated_at FROM users ORDER BY created_at, id";
        let users = on_pool!(self, pool => sqlx::query_as::<_, User>(SQL).fetch_all(pool).await)?;
        Ok(users)
    }
}

pub(super) fn expect_one_row(rows: u64) -> Result<(), StoreError> {
    if rows == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}
