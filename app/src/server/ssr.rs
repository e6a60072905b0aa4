//! Server-side helpers for server functions: the injected state, the caller, the session,
//! and setting the HTTP status of an error.

use std::sync::Arc;

use http::request::Parts;
use leptos::prelude::*;
use ops_auth::{AuthCtx, LoginLimiter};
use ops_db::Db;
use ops_monitoring::Sampler;
use ops_types::ApiError;
use tower_sessions::Session;

/// What server functions need from the application, provided through Leptos context.
#[derive(Clone)]
pub struct UiState {
    pub db: Db,
    pub limiter: Arc<LoginLimiter>,
    pub secrets: ops_secrets::MasterKey,
    /// The console's address for links in e-mails.
    pub base_url: String,
    pub sampler: Sampler,
    pub session_absolute_ms: i64,
    pub oidc: Arc<ops_auth::sso::OidcClients>,
    /// The AI gateway (catalogue, BYOK, reports).
    pub gateway: ops_gateway::Gateway,
}

pub fn state() -> Result<UiState, ApiError> {
    use_context::<UiState>().ok_or_else(ApiError::internal)
}

fn parts() -> Result<Parts, ApiError> {
    use_context::<Parts>().ok_or_else(ApiError::internal)
}

/// The caller, as resolved once by the auth middleware.
pub fn ctx() -> Result<AuthCtx, ApiError> {
    ops_auth::http::from_parts(&parts()?)
}

pub fn client_ip() -> Option<String> {
    parts().ok().and_then(|p| ops_auth::http::client_ip(&p))
}

pub fn user_agent() -> Option<String> {
    parts()
        .ok()?
        .headers
        .get(http::header::USER_AGENT)?
        .to_str()
        .ok()
        .map(str::to_string)
}

pub fn session() -> Result<Session, ApiError> {
    parts()?
        .extensions
        .get::<Session>()
        .cloned()
        .ok_or_else(ApiError::internal)
}
