//! `/api/v1/system/metrics`: the latest host snapshot.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use ops_auth::{AuthCtx, HttpError};
use ops_types::MetricsSnapshot;

use crate::state::AppState;

/// CPU, load, memory, disks, network rates, uptime and GPUs (`gpu: null` with a reason when
/// there is no NVIDIA driver).
#[utoipa::path(get, path = "/api/v1/system/metrics", tag = "system",
    responses((status = 200, body = MetricsSnapshot)), security(("session" = ["system_read"]), ("api_key" = ["system_read"])))]
pub async fn metrics(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<impl IntoResponse, HttpError> {
    let sample = state.sampler.read(&ctx)?;
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        sample.json.to_string(),
    ))
}
