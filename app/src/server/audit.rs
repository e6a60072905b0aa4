//! The audit log: pages, figures, action names and the chain check.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use ops_types::{ApiError, AuditOrg, AuditPage, AuditQuery, AuditStats, AuditVerify};

#[server(prefix = "/api/ui", endpoint = "audit_events")]
pub async fn audit_events(query: AuditQuery) -> Result<AuditPage, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::audit::list(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "audit_figures")]
pub async fn audit_figures(query: AuditQuery) -> Result<AuditStats, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::audit::stats(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "audit_actions")]
pub async fn audit_actions() -> Result<Vec<String>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::audit::actions(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "audit_orgs")]
pub async fn audit_orgs() -> Result<Vec<AuditOrg>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::audit::orgs(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "audit_check")]
pub async fn audit_check() -> Result<AuditVerify, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::audit::verify(&state()?.db, &ctx).await?)
}
