//! Export and import: `GET /api/conversations/{id}/export`, `GET /api/export`,
//! `GET /api/admin/users/{id}/export` and `POST /api/import`.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, CurrentUser, Json, Query};
use crate::transfer::archive::Archive;
use crate::transfer::{ArchiveDownload, ExportFormat, ImportFormat, ImportReport};
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_conversation))
        .routes(routes!(export_mine))
        .routes(routes!(export_user))
        .routes(routes!(import))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `json` (default): the whole message tree, as an llm-chat archive holding
    /// this conversation (it can be imported). `markdown`: the branch shown, for reading.
    #[param(inline)]
    pub format: Option<ExportFormat>,
}

/// Download one conversation as JSON (the whole tree) or Markdown (the branch shown).
///
/// JSON holds every message with its parent, role, text, reasoning, model,
/// status, usage and times, and the current leaf; Markdown shows the branch the
/// conversation shows, each message with its author, model and time, and says
/// when other branches exist. Answered as an attachment named after the title.
#[utoipa::path(get, path = "/api/conversations/{id}/export", tag = "export",
    params(("id" = String, Path, description = "Conversation id"), ExportQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The file (`application/json`, or `text/markdown` for `format=markdown`)", body = Archive),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "No such conversation, or not yours", body = ErrorBody),
        (status = 422, description = "`format` is neither `json` nor `markdown` (`invalid_field`)", body = ErrorBody)))]
pub async fn export_conversation(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let file = state
        .transfer
        .export_conversation(&user.user.id, &id, query.format.unwrap_or_default())
        .await?;
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(file.content_type)),
        (header::CONTENT_DISPOSITION, attachment(&file.filename)),
    ];
    Ok((headers, file.body).into_response())
}

/// Download all your conversations as one llm-chat archive (JSON).
///
/// `{"format":"llm-chat-archive","version":1,"exported_at","user":{"username"},"conversations":[…]}`,
/// oldest conversation first, each with its whole message tree. The archive is
/// written while it is sent, one conversation at a time; if the server fails
/// midway the download is cut off (the JSON is then incomplete). Import it
/// with `POST /api/import`.
#[utoipa::path(get, path = "/api/export", tag = "export",
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The archive, as an attachment", body = Archive),
        (status = 401, description = "Not signed in", body = ErrorBody)))]
pub async fn export_mine(State(state): State<AppState>, CurrentUser(user): CurrentUser) -> Result<Response, ApiError> {
    Ok(archive(state.transfer.export_archive(&user.user.id).await?))
}

/// Download an account's archive (administrators), as `GET /api/export` gives it to its owner.
#[utoipa::path(get, path = "/api/admin/users/{id}/export", tag = "admin",
    params(("id" = String, Path, description = "Account id")),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "The archive, as an attachment", body = Archive),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No such account", body = ErrorBody)))]
pub async fn export_user(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(archive(state.transfer.export_archive(&id).await?))
}

fn archive(download: ArchiveDownload) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::CONTENT_DISPOSITION, attachment(&download.filename)),
    ];
    (headers, Body::from_stream(download.body)).into_response()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The file's format; found from its content when absent.
    pub format: Option<ImportFormat>,
}

/// Import conversations from a file: an llm-chat archive, ChatGPT's `conversations.json` or an Open WebUI chat export.
///
/// Send the file as the raw request body (any `Content-Type`), up to
/// `IMPORT_MAX_BYTES` (256 MiB by default; `MAX_BODY_BYTES` does not apply).
/// The format is recognised from the content, or given as `?format=`.
///
/// The file is read as a stream and written in one transaction: a fault
/// anywhere (not JSON, a wrong type, a text too long, a NUL character, nesting
/// deeper than 128 levels) answers 4xx naming the conversation and field, and
/// nothing is written. Importing the same file again skips what it imported
/// before (`already imported`); conversations with nothing to import are
/// skipped with the reason. Imported conversations keep their times, models,
/// branches and selected branch, and are found by search at once.
#[utoipa::path(post, path = "/api/import", tag = "export",
    params(ImportQuery),
    request_body(content = String, content_type = "application/json", description = "The export file, as it is"),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, description = "What was imported and what was skipped, and why", body = ImportReport),
        (status = 400, description = "Not JSON, or cut off (`invalid_json`); the upload broke off (`invalid_body`)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 409, description = "Another import of the same conversations finished first (`conflict`); nothing was kept", body = ErrorBody),
        (status = 413, description = "Larger than IMPORT_MAX_BYTES (`payload_too_large`, the limit named)", body = ErrorBody),
        (status = 422, description = "A wrong type, a missing field or an unacceptable value (`invalid_import`, the place named), \
            a file of no known format (`unknown_format`), or a bad `format` (`invalid_field`)", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let report = state
        .transfer
        .import(&user.user.id, query.format, declared, body.into_data_stream())
        .await?;
    Ok(Json(report))
}

/// `attachment` with the name twice: ASCII for old clients, UTF-8 (RFC 6266) for the rest.
fn attachment(filename: &str) -> HeaderValue {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let ascii: String = filename.chars().map(|c| if plain(c) { c } else { '_' }).collect();
    let encoded: String = filename
        .bytes()
        .map(|b| {
            if plain(char::from(b)) && b.is_ascii() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}
