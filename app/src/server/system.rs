//! The latest metrics snapshot, for the first render of the dashboard.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, fail, state};
use leptos::prelude::*;
use ops_types::{ApiError, MetricsSnapshot};

#[server(prefix = "/api/ui", endpoint = "metrics_snapshot")]
pub async fn get_metrics() -> Result<MetricsSnapshot, ApiError> {
    let ctx = ctx().map_err(fail)?;
    Ok(state()?.sampler.read(&ctx).map_err(fail)?.snapshot.clone())
}
