//! The latest metrics snapshot, for the first render of the dashboard.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use ops_types::{ApiError, MetricsSnapshot};

#[server(prefix = "/api/ui", endpoint = "metrics_snapshot")]
pub async fn get_metrics() -> Result<MetricsSnapshot, ApiError> {
    let ctx = ctx()?;
    Ok(state()?.sampler.read(&ctx)?.snapshot.clone())
}
