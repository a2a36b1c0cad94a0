//! `/api/auth/*`: register, sign in (JSON or the OAuth2 password form that
//! `/docs` uses), who am I, sign out, change password.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ClientIp, CurrentUser, Json};
use crate::auth::{IssuedToken, NewPassword, Username};
use crate::store::{Role, User};
use axum::extract::{FromRequest, Request, State};
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(logout))
        .routes(routes!(change_password))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    #[schema(example = "alice")]
    pub username: String,
    #[schema(example = "correct horse battery")]
    pub password: String,
}

/// An account as clients see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub role: Role,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        UserView {
            id: user.id,
            username: user.username,
            role: user.role,
            created_at: user.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "bearer")]
    pub token_type: &'static str,
    /// Seconds until the token expires.
    pub expires_in: u64,
    pub user: UserView,
}

impl From<IssuedToken> for TokenResponse {
    fn from(issued: IssuedToken) -> Self {
        TokenResponse {
            access_token: issued.access_token,
            token_type: "bearer",
            expires_in: issued.expires_in.as_secs(),
            user: issued.user.into(),
        }
    }
}

/// Create an account and sign in. The first account of a new server becomes its admin.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created and signed in", body = TokenResponse),
        (status = 403, description = "Registration is closed (`registration_closed`)", body = ErrorBody),
        (status = 409, description = "The username is taken (`username_taken`)", body = ErrorBody),
        (status = 422, description = "Username or password not acceptable (`invalid_field`)", body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Json(body): Json<Credentials>,
) -> Result<(StatusCode, Json<TokenResponse>), ApiError> {
    let username = Username::parse(&body.username).map_err(crate::auth::AuthError::from)?;
    let password = NewPassword::parse(&body.password).map_err(crate::auth::AuthError::from)?;
    let issued = state.auth.register(username, password).await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// The OAuth2 password grant as Swagger UI sends it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordForm {
    #[schema(example = "password")]
    pub grant_type: Option<String>,
    pub username: String,
    pub password: String,
}

/// Sign-in credentials from a JSON body or an OAuth2 password form.
pub struct LoginBody(Credentials);

impl FromRequest<AppState> for LoginBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            let Json(credentials) = Json::<Credentials>::from_request(req, state).await?;
            return Ok(LoginBody(credentials));
        }
        let axum::Form(form) = axum::Form::<PasswordForm>::from_request(req, state).await?;
        if form.grant_type.as_deref().is_some_and(|grant| grant != "password") {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only grant_type=password is supported",
            ));
        }
        Ok(LoginBody(Credentials {
            username: form.username,
            password: form.password,
        }))
    }
}

/// Sign in with a username and password; returns a bearer token.
///
/// Repeated failures from one address are refused for a while with 429 and `Retry-After`.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body(content(
        (Credentials = "application/json"),
        (PasswordForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 401, description = "Wrong username or password (`invalid_credentials`)", body = ErrorBody),
        (status = 403, description = "The account is disabled (`account_disabled`)", body = ErrorBody),
        (status = 429, description = "Too many failed attempts (`too_many_attempts`); see `Retry-After`", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    LoginBody(body): LoginBody,
) -> Result<Json<TokenResponse>, ApiError> {
    let issued = state.auth.login(&body.username, &body.password, client).await?;
    Ok(Json(issued.into()))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The account behind the token", body = UserView),
        (status = 401, description = "No token, or an invalid, expired or revoked one", body = ErrorBody)))]
pub async fn me(CurrentUser(principal): CurrentUser) -> Json<UserView> {
    Json(principal.user.into())
}

/// Sign out: the token stops working at once.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No token, or an invalid, expired or revoked one", body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
) -> Result<StatusCode, ApiError> {
    state.auth.logout(&principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password. Every other session of the account is signed out.
#[utoipa::path(put, path = "/api/auth/password", tag = "auth",
    security(("bearer" = []), ("oauth2" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Password changed"),
        (status = 401, description = "No token, or an invalid, expired or revoked one", body = ErrorBody),
        (status = 403, description = "The current password is wrong (`wrong_password`)", body = ErrorBody),
        (status = 422, description = "The new password is not acceptable (`invalid_field`)", body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords (`too_many_attempts`); see `Retry-After`", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentUser(principal): CurrentUser,
    ClientIp(client): ClientIp,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let new = NewPassword::parse(&body.new_password).map_err(crate::auth::AuthError::from)?;
    state
        .auth
        .change_password(&principal, &body.current_password, new, client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
