//! `GET /metrics` (Prometheus text format), never open by accident: with
//! `METRICS_TOKEN` it needs `Authorization: Bearer <token>`; with
//! `METRICS_ADDR` it is served on that separate listener instead of the main
//! port; with neither it answers 404 saying how to turn it on.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use crate::config::{MetricsSettings, Secret};
use crate::ops::metrics::metrics;
use crate::store::Store;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::time::Instant;
use utoipa_axum::{router::OpenApiRouter, routes};

/// Who may read `/metrics` on a listener.
#[derive(Debug, Clone)]
pub struct MetricsAccess {
    pub token: Option<Secret>,
    /// Served on this listener (false on the main port when `METRICS_ADDR` is set).
    pub here: bool,
    /// Told to whoever finds it off: where it is served instead.
    pub elsewhere: Option<std::net::SocketAddr>,
}

impl MetricsAccess {
    /// The main port's access for these settings.
    pub fn main(settings: &MetricsSettings) -> MetricsAccess {
        MetricsAccess {
            token: settings.token.clone(),
            here: settings.addr.is_none() && settings.token.is_some(),
            elsewhere: settings.addr,
        }
    }

    fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if !self.here {
            let message = match self.elsewhere {
                Some(addr) => format!("metrics are served on the separate address {addr} (METRICS_ADDR), not here"),
                None => "metrics are off: set METRICS_TOKEN (then scrape with `Authorization: Bearer <token>`) or METRICS_ADDR (a separate listener such as 127.0.0.1:9100)".to_owned(),
            };
            return Err(ApiError::not_found(message));
        }
        let Some(token) = &self.token else {
            return Ok(());
        };
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if constant_time_eq(sent.as_bytes(), token.expose().as_bytes()) {
            Ok(())
        } else {
            Err(ApiError::unauthorized(
                "invalid_metrics_token",
                "send the metrics token as `Authorization: Bearer <METRICS_TOKEN>`",
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(scrape))
}

/// Prometheus metrics of this process: `llmchat_http_requests_total`,
/// `llmchat_http_request_duration_seconds`, `llmchat_generations_active`,
/// `llmchat_upstream_errors_total`, `llmchat_tokens_streamed_total`,
/// `llmchat_db_pool_connections`. Off unless `METRICS_TOKEN` or `METRICS_ADDR` is set.
#[utoipa::path(get, path = "/metrics", tag = "health",
    security(("metrics_token" = [])),
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4"),
        (status = 401, description = "Wrong or missing metrics token (`invalid_metrics_token`)", body = ErrorBody),
        (status = 404, description = "Metrics are off, or served on `METRICS_ADDR`", body = ErrorBody)))]
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    state.metrics.check(&headers)?;
    Ok(render(&state.store))
}

fn render(store: &Store) -> Response {
    let (in_use, idle) = store.pool_use();
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics().render(in_use, idle),
    )
        .into_response()
}

/// The app of the separate `METRICS_ADDR` listener: `/metrics` only.
pub fn separate_app(store: Store, token: Option<Secret>) -> Router {
    let access = MetricsAccess {
        token,
        here: true,
        elsewhere: None,
    };
    Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| {
            let checked = access.check(&headers);
            let store = store.clone();
            async move {
                match checked {
                    Ok(()) => render(&store),
                    Err(err) => err.into_response(),
                }
            }
        }),
    )
}

/// Counts every request by route template (never the raw path, which would
/// make a series per id) and status, with its latency.
pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("other", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    let status = response.status();
    metrics().http_request(&method, &route, status.as_u16(), started.elapsed());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
