//! Request extractors whose failures answer in our error shape: JSON bodies,
//! the signed-in user, the admin, and the client's address.

use super::AppState;
use super::error::ApiError;
use crate::auth::Principal;
use crate::store::Role;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use std::net::{IpAddr, SocketAddr};

/// `axum::Json` with rejections mapped to [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Query` with rejections mapped to [`ApiError`].
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

/// The user behind the request's bearer token.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub Principal);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = bearer_token(&parts.headers)?;
        let principal = state.auth.authenticate(token).await?;
        tracing::Span::current().record("user_id", principal.user.id.as_str());
        Ok(CurrentUser(principal))
    }
}

/// A signed-in user with the admin role.
#[derive(Debug, Clone)]
pub struct AdminUser(pub Principal);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let CurrentUser(principal) = CurrentUser::from_request_parts(parts, state).await?;
        if principal.user.role != Role::Admin {
            return Err(ApiError::forbidden("admin_only", "only an administrator may do this"));
        }
        Ok(AdminUser(principal))
    }
}

fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "missing_token",
            "sign in first: send the access token as `Authorization: Bearer <token>`",
        ));
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| ApiError::unauthorized("invalid_token", "the Authorization header must be `Bearer <token>`"))
}

/// The address a request came from. Behind a reverse proxy on the same host or
/// a private network (nginx, Docker), the proxy's `X-Real-IP` or the last
/// `X-Forwarded-For` entry is used; a public peer cannot spoof it.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip().to_canonical())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        if !is_local_proxy(peer) {
            return Ok(ClientIp(peer));
        }
        let forwarded = header_ip(&parts.headers, "x-real-ip").or_else(|| {
            parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|ip| ip.trim().parse().ok())
        });
        Ok(ClientIp(forwarded.map_or(peer, |ip: IpAddr| ip.to_canonical())))
    }
}

fn header_ip(headers: &HeaderMap, name: &str) -> Option<IpAddr> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn is_local_proxy(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}
