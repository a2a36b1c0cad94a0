//! What an administrator does to accounts: list and search them, create one,
//! change role, access or password, and delete one with all its data.

use super::credentials::InvalidCredential;
use super::{AuthError, AuthService, NewPassword, Username, create_user, hash_password};
use crate::store::{AccessChange, Guarded, Role, StoreError, User, UserQuery, UserSummary};

/// A page of accounts.
pub struct UserPage {
    pub items: Vec<UserSummary>,
    pub next_cursor: Option<String>,
}

/// What an admin asks to change; absent fields stay as they are.
#[derive(Debug, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    pub password: Option<NewPassword>,
}

impl AuthService {
    pub async fn list_users(&self, q: Option<&str>, limit: i64, cursor: Option<&str>) -> Result<UserPage, AuthError> {
        if !(1..=200).contains(&limit) {
            return Err(InvalidCredential {
                field: "limit",
                message: "limit must be between 1 and 200".to_owned(),
            }
            .into());
        }
        let mut items = self
            .store
            .search_users(UserQuery {
                username_contains: q.map(str::trim).filter(|q| !q.is_empty()),
                after: cursor.filter(|c| !c.is_empty()),
                limit: limit + 1,
            })
            .await?;
        let more = items.len() as i64 > limit;
        items.truncate(usize::try_from(limit).unwrap_or(0));
        let next_cursor = more.then(|| items.last().map(|u| u.user.id.clone())).flatten();
        Ok(UserPage { items, next_cursor })
    }

    /// Creates an account for someone; registration being closed doesn't matter here.
    #[tracing::instrument(skip_all, fields(username = %username))]
    pub async fn admin_create_user(
        &self,
        username: Username,
        password: NewPassword,
        role: Role,
    ) -> Result<User, AuthError> {
        create_user(&self.store, username, password, Some(role)).await
    }

    /// Changes role, access and password. Disabling or resetting the password
    /// signs the account out everywhere.
    #[tracing::instrument(skip_all, fields(target_id = %user_id))]
    pub async fn change_user(&self, user_id: &str, change: UserChange) -> Result<User, AuthError> {
        let mut user = self.store.user_by_id(user_id).await.map_err(user_not_found)?;
        if change.role.is_some() || change.disabled.is_some() {
            let access = AccessChange {
                role: change.role,
                disabled: change.disabled,
            };
            user = match self
                .store
                .change_access(user_id, access)
                .await
                .map_err(user_not_found)?
            {
                Guarded::Done(user) => user,
                Guarded::LastAdmin => return Err(AuthError::LastAdmin),
            };
        }
        let mut sign_out = change.disabled == Some(true);
        if let Some(password) = change.password {
            let hash = hash_password(password.expose().to_owned()).await?;
            self.store
                .set_password_hash(user_id, &hash)
                .await
                .map_err(user_not_found)?;
            sign_out = true;
        }
        if sign_out {
            self.store.revoke_user_sessions(user_id, None).await?;
        }
        Ok(user)
    }

    /// Deletes an account with its conversations, keys and sessions.
    /// `confirm` must repeat the username, so that a stray request can't do it.
    #[tracing::instrument(skip_all, fields(target_id = %user_id))]
    pub async fn delete_user(&self, user_id: &str, confirm: Option<&str>) -> Result<User, AuthError> {
        let user = self.store.user_by_id(user_id).await.map_err(user_not_found)?;
        if confirm != Some(user.username.as_str()) {
            return Err(AuthError::ConfirmationMismatch(user.username));
        }
        match self.store.delete_user(user_id).await.map_err(user_not_found)? {
            Guarded::Done(user) => Ok(user),
            Guarded::LastAdmin => Err(AuthError::LastAdmin),
        }
    }
}

fn user_not_found(err: StoreError) -> AuthError {
    match err {
        StoreError::NotFound => AuthError::UserNotFound,
        other => other.into(),
    }
}
