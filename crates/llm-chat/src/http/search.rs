//! `GET /api/search`: the user's messages and conversation titles containing
//! every word of a query, in any language.

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{CurrentUser, Json, Query};
use crate::chat::search::{SearchHit, SearchParams};
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words separated by spaces (at most 8 words, 200 characters); a hit
    /// contains every one of them, in any letter case. Chinese needs no spaces:
    /// `天气预报` finds the text as written.
    pub q: String,
    /// Page size, 1–50 (default 20).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Best first: more matches in a shorter text, titles before messages, then newest.
    /// The hits are at most 200, taken from the user's conversations in the
    /// sidebar's order (pinned, then latest activity), so a very common word
    /// shows its recent part.
    pub items: Vec<SearchHit>,
    /// Pass as `cursor` for the next page; `null` on the last page (those 200 hits at most are paged).
    pub next_cursor: Option<String>,
}

/// Search the user's messages and conversation titles (archived ones included).
#[utoipa::path(get, path = "/api/search", tag = "chat",
    params(SearchQuery),
    security(("bearer" = []), ("oauth2" = [])),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Empty or too long `q`, bad `limit` or `cursor` (`invalid_field`)", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let page = state
        .chat
        .search(
            &user.user.id,
            SearchParams {
                q: query.q,
                limit: query.limit.unwrap_or(20),
                cursor: query.cursor,
            },
        )
        .await?;
    Ok(Json(SearchResults {
        items: page.items,
        next_cursor: page.next_cursor,
    }))
}
