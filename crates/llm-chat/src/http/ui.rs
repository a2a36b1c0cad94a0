//! The web UI: the files of `web/dist`, built by `build.rs` and embedded in the
//! binary, served same-origin. Hashed files under `/assets/` are cached for a
//! year; `index.html` is revalidated on every load so a new release shows at
//! once. Any other browser navigation (a GET that accepts HTML, outside the
//! API) gets `index.html`, and the app's router takes over.

use super::middleware;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

/// The built UI. `LLM_CHAT_WEB_DIST` is set by `build.rs`: `web/dist`, or a
/// placeholder page when the UI build was skipped.
#[derive(RustEmbed)]
#[folder = "$LLM_CHAT_WEB_DIST"]
struct Assets;

const INDEX: &str = "index.html";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Path prefixes that belong to the API and never fall back to the UI.
const NOT_UI: [&str; 5] = ["/api/", "/v1/", "/ws/", "/docs", "/openapi.json"];

/// `GET /`: the app.
pub async fn index(headers: HeaderMap) -> Response {
    serve(INDEX, &headers).unwrap_or_else(|| StatusCode::NOT_FOUND.into_response())
}

/// Everything no route claimed: an embedded file, the app for a browser
/// navigation, or the JSON 404 for anything else.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    let readable = method == Method::GET || method == Method::HEAD;
    if readable && !NOT_UI.iter().any(|prefix| path.starts_with(prefix)) {
        let file = path.trim_start_matches('/');
        if let Some(response) = serve(file, &headers) {
            return response;
        }
        if !path.starts_with("/assets/")
            && accepts_html(&headers)
            && let Some(mut response) = serve(INDEX, &headers)
        {
            // A shared conversation's page is for those given the link, not for search engines.
            if path.starts_with("/s/") {
                response.headers_mut().insert(
                    HeaderName::from_static("x-robots-tag"),
                    HeaderValue::from_static("noindex"),
                );
            }
            return response;
        }
    }
    middleware::not_found(method, uri).await.into_response()
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// One embedded file with its type, cache policy and ETag; `None` when absent.
fn serve(file: &str, headers: &HeaderMap) -> Option<Response> {
    if file.is_empty() {
        return None;
    }
    let asset = Assets::get(file)?;
    let etag = format!("\"{}\"", hex(&asset.metadata.sha256_hash()[..16]));
    let cache = if file.starts_with("assets/") {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.split(',').any(|tag| tag.trim() == etag));
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &etag);
    let response = if not_modified {
        builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
    } else {
        builder
            .header(header::CONTENT_TYPE, content_type(file, asset.metadata.mimetype()))
            .body(Body::from(asset.data.into_owned()))
    };
    response.ok()
}

/// The guessed type, with the charset browsers need for text.
fn content_type(file: &str, guessed: &str) -> HeaderValue {
    let value = if file.ends_with(".woff2") {
        "font/woff2".to_owned()
    } else if guessed.starts_with("text/") || guessed == "application/javascript" {
        format!("{guessed}; charset=utf-8")
    } else {
        guessed.to_owned()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
