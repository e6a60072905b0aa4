//! `GET /api/v1/stream/metrics`: the sampler's snapshots as SSE, one `metrics` event per sample.
//! Every client follows the one shared sampler; an event is the JSON already serialised once.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use ops_auth::{AuthCtx, HttpError};

use crate::state::AppState;

/// Live system metrics as Server-Sent Events (`event: metrics`, data = the snapshot JSON).
#[utoipa::path(get, path = "/api/v1/stream/metrics", tag = "system",
    responses((status = 200, content_type = "text/event-stream", body = ops_types::MetricsSnapshot,
               description = "one `metrics` event per sample")),
    security(("session" = ["system_read"]), ("api_key" = ["system_read"])))]
pub async fn stream(
    State(state): State<AppState>,
    ctx: AuthCtx,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, HttpError> {
    let rx = state.sampler.follow(&ctx)?;
    let events = futures::stream::unfold((rx, true), |(mut rx, first)| async move {
        if !first && rx.changed().await.is_err() {
            return None;
        }
        let json = rx.borrow_and_update().json.clone();
        Some((
            Ok(Event::default().event("metrics").data(&*json)),
            (rx, false),
        ))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
