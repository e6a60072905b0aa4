//! `/api/v1/admin/users/bulk/import` and `/api/v1/admin/imports/{id}`: CSV import of users
//! with a dry run, a job with live progress, and the result report as CSV.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use ops_auth::admin::import;
use ops_auth::{AuthCtx, HttpError};
use ops_types::{ApiError, ErrorCode, ImportJob, ImportReport};
use serde::Deserialize;

use crate::http::export;
use crate::http::query::ApiQuery;
use crate::state::AppState;

/// The largest CSV accepted (10,000 rows of ordinary length fit easily).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `true`: only report what each row would do.
    pub dry_run: Option<bool>,
}

/// Import users from CSV (`email`, optional `display_name`, `role`, `password`; up to 10,000
/// rows). With `dry_run=true` the answer is the plan per row and nothing changes; otherwise
/// the import starts as a job (202) whose progress `GET /api/v1/stream/imports/{id}` streams.
#[utoipa::path(post, path = "/api/v1/admin/users/bulk/import", tag = "admin", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport, description = "dry run"), (status = 202, body = ImportJob),
              (status = 413, description = "larger than 5 MiB"), (status = 422, description = "bad header or too many rows")),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn start(
    State(state): State<AppState>,
    ctx: AuthCtx,
    ApiQuery(p): ApiQuery<ImportParams>,
    body: axum::body::Bytes,
) -> Result<Response, HttpError> {
    let text = std::str::from_utf8(&body).map_err(|_| {
        HttpError(ApiError::field(
            ErrorCode::Validation,
            "file",
            "the file must be UTF-8 text",
        ))
    })?;
    if p.dry_run == Some(true) {
        Ok(Json(import::dry_run(&state.db, &ctx, text).await?).into_response())
    } else {
        let job = import::start(&state.db, &ctx, text).await?;
        Ok((StatusCode::ACCEPTED, Json(job)).into_response())
    }
}

/// An import's progress, and its report once finished.
#[utoipa::path(get, path = "/api/v1/admin/imports/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, body = ImportJob), (status = 404)), security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn get(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Json<ImportJob>, HttpError> {
    Ok(Json(import::job(&state.db, &ctx, &id).await?))
}

/// The finished import's result per row, as CSV.
#[utoipa::path(get, path = "/api/v1/admin/imports/{id}/report", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, description = "text/csv"), (status = 404), (status = 409, description = "still running")),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn report(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Response, HttpError> {
    let job = import::job(&state.db, &ctx, &id).await?;
    let Some(report) = job.report else {
        return Err(HttpError(ApiError::new(
            ErrorCode::Conflict,
            "the import has not finished",
        )));
    };
    export::csv(
        &format!("import-{id}.csv"),
        &["line", "email", "result", "message"],
        report.rows.into_iter().map(|r| {
            vec![
                r.line.to_string(),
                r.email,
                r.action.as_str().into(),
                r.message.unwrap_or_default(),
            ]
        }),
    )
}

/// Live progress of an import: `progress` events (`{"done":…,"total":…,"status":…}`) until it ends.
#[utoipa::path(get, path = "/api/v1/stream/imports/{id}", tag = "admin", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream"), (status = 404)),
    security(("session" = ["users_manage"]), ("api_key" = ["users_manage"])))]
pub async fn stream(
    State(state): State<AppState>,
    ctx: AuthCtx,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    import::job(&state.db, &ctx, &id).await?;
    let stream = futures::stream::unfold(Some((state, ctx, id)), |st| async move {
        let (state, ctx, id) = st?;
        let job = import::job(&state.db, &ctx, &id).await.ok()?;
        let running = job.status == "running";
        let data = serde_json::json!({"done": job.done, "total": job.total, "status": job.status});
        let event = Event::default().event("progress").data(data.to_string());
        if running {
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Some((Ok(event), running.then_some((state, ctx, id))))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
