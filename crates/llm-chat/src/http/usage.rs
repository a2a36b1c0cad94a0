//! `/api/usage` (the caller's own), `/api/admin/usage` (everyone's) and
//! `/api/admin/users/{id}/limits` (an administrator's limits for one user).

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{AdminUser, CurrentUser, Json, Query};
use crate::ops::clock::civil_from_days;
use crate::store::{UsageRow, UserLimits};
use crate::usage::Report;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_usage))
        .routes(routes!(all_usage))
        .routes(routes!(get_limits, put_limits))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct UsageQuery {
    /// Days to cover, today included (1–366, default 30). Days are UTC.
    pub days: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct AdminUsageQuery {
    /// Days to cover, today included (1–366, default 30). Days are UTC.
    pub days: Option<u32>,
    /// Only this user's usage.
    pub user_id: Option<String>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct UsageTotals {
    /// Generations started (chat replies and API completions).
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    /// Generations that ended in an error.
    pub errors: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageDay {
    #[schema(example = "2026-11-27")]
    pub day: String,
    pub model: String,
    pub requests: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub errors: i64,
    /// Only in `/api/admin/usage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Only in `/api/admin/usage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UsageReport {
    pub days: u32,
    pub totals: UsageTotals,
    /// Newest day first.
    pub by_day: Vec<UsageDay>,
}

/// `None` means unlimited.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsBody {
    /// Prompt plus completion tokens per UTC day.
    #[schema(example = 200000)]
    pub daily_token_quota: Option<i64>,
    /// Generations (chat and API) started per minute.
    #[schema(example = 20)]
    pub requests_per_minute: Option<i64>,
}

impl From<UserLimits> for LimitsBody {
    fn from(limits: UserLimits) -> Self {
        LimitsBody {
            daily_token_quota: limits.daily_token_quota,
            requests_per_minute: limits.requests_per_minute,
        }
    }
}

fn view(report: Report, with_user: bool) -> UsageReport {
    let mut totals = UsageTotals::default();
    let by_day = report
        .rows
        .into_iter()
        .map(|row: UsageRow| {
            totals.requests += row.requests;
            totals.prompt_tokens += row.prompt_tokens;
            totals.completion_tokens += row.completion_tokens;
            totals.errors += row.errors;
            UsageDay {
                day: day_name(row.day),
                model: row.model,
                requests: row.requests,
                prompt_tokens: row.prompt_tokens,
                completion_tokens: row.completion_tokens,
                errors: row.errors,
                user_id: with_user.then_some(row.user_id),
                username: with_user.then_some(row.username),
            }
        })
        .collect();
    UsageReport {
        days: report.days,
        totals,
        by_day,
    }
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01, UTC).
fn day_name(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The caller's usage per day and model.
#[utoipa::path(get, path = "/api/usage", tag = "usage",
    security(("bearer" = []), ("oauth2" = [])),
    params(UsageQuery),
    responses(
        (status = 200, body = UsageReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "`days` out of range (`invalid_field`)", body = ErrorBody)))]
pub async fn my_usage(
    State(state): State<AppState>,
    CurrentUser(me): CurrentUser,
    Query(query): Query<UsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    let report = state.usage.report(query.days, Some(&me.user.id)).await?;
    Ok(Json(view(report, false)))
}

/// Everyone's usage (or one user's) per day, user and model.
#[utoipa::path(get, path = "/api/admin/usage", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(AdminUsageQuery),
    responses(
        (status = 200, body = UsageReport),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 422, description = "`days` out of range (`invalid_field`)", body = ErrorBody)))]
pub async fn all_usage(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<AdminUsageQuery>,
) -> Result<Json<UsageReport>, ApiError> {
    let report = state.usage.report(query.days, query.user_id.as_deref()).await?;
    Ok(Json(view(report, true)))
}

/// A user's limits (`null` = unlimited).
#[utoipa::path(get, path = "/api/admin/users/{id}/limits", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = LimitsBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody)))]
pub async fn get_limits(
    State(state): State<AppState>,
    _admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Json<LimitsBody>, ApiError> {
    Ok(Json(state.usage.limits(&id).await?.into()))
}

/// Set a user's limits; both fields are replaced (`null` = unlimited). Going
/// over answers 429 with `quota_exceeded` or `rate_limited` and `Retry-After`.
#[utoipa::path(put, path = "/api/admin/users/{id}/limits", tag = "admin",
    security(("bearer" = []), ("oauth2" = [])),
    params(("id" = String, Path, description = "User id")),
    request_body = LimitsBody,
    responses(
        (status = 200, description = "The stored limits", body = LimitsBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not an administrator (`admin_only`)", body = ErrorBody),
        (status = 404, description = "No such user", body = ErrorBody),
        (status = 422, description = "A limit that is not a positive whole number (`invalid_field`)", body = ErrorBody)))]
pub async fn put_limits(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(body): Json<LimitsBody>,
) -> Result<Json<LimitsBody>, ApiError> {
    let limits = UserLimits {
        daily_token_quota: body.daily_token_quota,
        requests_per_minute: body.requests_per_minute,
    };
    let stored = state.usage.set_limits(&id, limits).await?;
    tracing::info!(admin = %admin.user.username, user_id = %id, ?stored, "user limits changed");
    Ok(Json(stored.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DAY_MS;

    #[test]
    fn day_numbers_are_utc_dates() {
        assert_eq!(day_name(0), "1970-01-01");
        assert_eq!(day_name(1_764_201_600_000 / DAY_MS), "2025-11-27");
        assert_eq!(day_name(11_016), "2000-02-29");
    }
}
