//! `GET /api/v1/stream/metrics`: the sampler's snapshots as SSE, one `metrics` event per sample.
//! Every client follows the one shared sampler; an event is the JSON already serialised once.
//! The caller is checked again every half minute, so a stream ends soon after its session is
//! revoked, its API key deleted or its user disabled.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use ops_auth::{AuthCtx, HttpError, sessions};
use ops_db::Db;
use ops_monitoring::Sample;
use tokio::sync::watch;

use crate::state::AppState;

const RECHECK: Duration = Duration::from_secs(30);

struct Follower {
    rx: watch::Receiver<Arc<Sample>>,
    first: bool,
    ctx: AuthCtx,
    db: Db,
    checked: Instant,
}

impl Follower {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Follower)> {
        if !self.first && self.rx.changed().await.is_err() {
            return None;
        }
        if self.checked.elapsed() >= RECHECK {
            if !matches!(sessions::still_valid(&self.db, &self.ctx).await, Ok(true)) {
                return None;
            }
            self.checked = Instant::now();
        }
        self.first = false;
        let json = self.rx.borrow_and_update().json.clone();
        Some((Ok(Event::default().event("metrics").data(&*json)), self))
    }
}

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
    let follower = Follower {
        rx,
        first: true,
        ctx,
        db: state.db.clone(),
        checked: Instant::now(),
    };
    Ok(
        Sse::new(futures::stream::unfold(follower, Follower::next))
            .keep_alive(KeepAlive::default()),
    )
}
