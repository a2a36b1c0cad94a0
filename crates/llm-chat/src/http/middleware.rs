//! Cross-cutting HTTP behaviour: request ids, the access log, compression,
//! security headers, and JSON answers for unknown routes and panics.

use super::error::ApiError;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri, header};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Only same-origin resources; inline styles because Swagger UI sets them.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

pub fn apply(router: Router) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    let router = security_headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    });
    router
        .layer(CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or_default();
                    // The path only: query strings may carry search text.
                    tracing::info_span!("request", method = %request.method(), path = %logged_path(request.uri().path()),
                        request_id, user_id = tracing::field::Empty)
                })
                .on_request(())
                .on_response(|response: &Response<_>, latency: Duration, _span: &Span| {
                    tracing::info!(
                        status = response.status().as_u16(),
                        latency_ms = latency.as_secs_f64() * 1000.0,
                        "served"
                    );
                }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(CatchPanicLayer::custom(|_: Box<dyn std::any::Any + Send>| {
            tracing::error!("a request handler panicked");
            axum::response::IntoResponse::into_response(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "the server failed to handle this request; an administrator can find the cause in the server log",
            ))
        }))
}

/// Answer for paths no route serves.
pub async fn not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::not_found(format!(
        "there is no {method} {}; the API is described at /docs",
        uri.path()
    ))
}

pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{} does not accept {method}; see /docs", uri.path()),
    )
}

/// Paths whose last part is a share link's token, which opens the shared
/// conversation to whoever reads it: it stays out of the log.
const SECRET_PATHS: [&str; 2] = ["/api/shared/", "/s/"];

/// The path as the access log shows it, share tokens masked.
fn logged_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS.iter().find(|prefix| path.starts_with(*prefix)) {
        Some(prefix) if path.len() > prefix.len() => format!("{prefix}…").into(),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::logged_path;

    #[test]
    fn share_tokens_stay_out_of_the_log() {
        assert_eq!(logged_path("/api/shared/q7Xb0cV2abc"), "/api/shared/…");
        assert_eq!(logged_path("/s/q7Xb0cV2abc"), "/s/…");
        assert_eq!(logged_path("/api/shares/0193-id"), "/api/shares/0193-id");
        assert_eq!(logged_path("/settings"), "/settings");
    }
}
