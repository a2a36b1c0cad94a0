//! `/api/admin/users…`: the administrator's account management.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, Json, Query};
use crate::auth::{AuthError, NewPassword, UserChange, Username};
use crate::store::{Role, User, UserSummary};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update, delete))
}

/// An account as the admin console shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminUserView {
    pub id: String,
    pub username: String,
    pub role: Role,
    /// A disabled account cannot sign in and its tokens stop working.
    pub disabled: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// Present in the list; absent after a single change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_count: Option<i64>,
}

impl From<User> for AdminUserView {
    fn from(user: User) -> Self {
        AdminUserView {
            id: user.id,
            username: user.username,
            role: user.role,
            disabled: user.disabled,
            created_at: user.created_at,
            conversation_count: None,
        }
    }
}

impl From<UserSummary> for AdminUserView {
    fn from(summary: UserSummary) -> Self {
        AdminUserView {
            conversation_count: Some(summary.conversation_count),
            ..summary.user.into()
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserListQuery {
    /// Only accounts whose username contains this text (any letter case).
    pub q: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPageView {
    /// Oldest account first.
    pub items: Vec<AdminUserView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Every account, oldest first, optionally filtered by username.
#[utoipa::path(get, path = "/api/admin/users", tag = "admin",
    params(UserListQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = UserPageView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 422, description = "Bad `limit` (`invalid_field`)", body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<UserListQuery>,
) -> Result<Json<UserPageView>, ApiError> {
    let page = state
        .auth
        .list_users(query.q.as_deref(), query.limit.unwrap_or(50), query.cursor.as_deref())
        .await?;
    Ok(Json(UserPageView {
        items: page.items.into_iter().map(AdminUserView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[schema(example = "alice")]
    pub username: String,
    pub password: String,
    /// `user` when absent.
    pub role: Option<Role>,
}

/// Create an account (also when registration is closed).
#[utoipa::path(post, path = "/api/admin/users", tag = "admin",
    request_body = NewAccount,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 201, description = "Account created", body = AdminUserView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 409, description = "The username is taken (`username_taken`)", body = ErrorBody),
        (status = 422, description = "Username, password or role not acceptable (`invalid_field`)", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(body): Json<NewAccount>,
) -> Result<(StatusCode, Json<AdminUserView>), ApiError> {
    let username = Username::parse(&body.username).map_err(AuthError::from)?;
    let password = NewPassword::parse(&body.password).map_err(AuthError::from)?;
    let role = body.role.unwrap_or(Role::User);
    let user = state.auth.admin_create_user(username, password, role).await?;
    tracing::info!(admin = %admin.user.username, user_id = %user.id, role = role.as_str(), "account created by an admin");
    Ok((StatusCode::CREATED, Json(user.into())))
}

/// Only the fields present are changed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub disabled: Option<bool>,
    /// A new password; the account is signed out everywhere.
    pub password: Option<String>,
}

/// Change an account's role, access or password. Disabling it or setting its
/// password signs it out everywhere. The last enabled administrator cannot be
/// demoted or disabled.
#[utoipa::path(patch, path = "/api/admin/users/{id}", tag = "admin",
    params(("id" = String, Path, description = "The account's id")),
    request_body = AccountChange,
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The account after the change", body = AdminUserView),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It is the last enabled administrator (`last_admin`)", body = ErrorBody),
        (status = 422, description = "Unknown field, bad role or unacceptable password (`invalid_field`)", body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(body): Json<AccountChange>,
) -> Result<Json<AdminUserView>, ApiError> {
    let password = body
        .password
        .as_deref()
        .map(NewPassword::parse)
        .transpose()
        .map_err(AuthError::from)?;
    let reset = password.is_some();
    let user = state
        .auth
        .change_user(
            &id,
            UserChange {
                role: body.role,
                disabled: body.disabled,
                password,
            },
        )
        .await?;
    tracing::info!(admin = %admin.user.username, user_id = %user.id, role = ?body.role, disabled = ?body.disabled, password_reset = reset, "account changed by an admin");
    Ok(Json(user.into()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// The account's exact username, to confirm.
    pub confirm: Option<String>,
}

/// Delete an account with all its conversations, messages, keys and sessions.
/// `confirm` must repeat its username. The last enabled administrator cannot be deleted.
#[utoipa::path(delete, path = "/api/admin/users/{id}", tag = "admin",
    params(("id" = String, Path, description = "The account's id"), DeleteQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody),
        (status = 409, description = "It is the last enabled administrator (`last_admin`)", body = ErrorBody),
        (status = 422, description = "`confirm` does not repeat the username (`confirmation_required`)", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> Result<StatusCode, ApiError> {
    let user = state.auth.delete_user(&id, query.confirm.as_deref()).await?;
    tracing::info!(admin = %admin.user.username, user_id = %user.id, "account and its data deleted by an admin");
    Ok(StatusCode::NO_CONTENT)
}
