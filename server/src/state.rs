//! Application state, built once at start and injected into every handler.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use ops_app::server::UiState;
use ops_auth::LoginLimiter;
use ops_config::Settings;
use ops_db::Db;
use ops_monitoring::Sampler;
use ops_secrets::MasterKey;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub limiter: Arc<LoginLimiter>,
    pub secrets: MasterKey,
    pub sampler: Sampler,
    /// HTTP to identity providers, with their discovery documents cached.
    pub oidc: Arc<ops_auth::sso::OidcClients>,
    /// The AI gateway: catalogue, routing, metering.
    pub gateway: ops_gateway::Gateway,
    pub leptos: LeptosOptions,
}

impl AppState {
    /// The console's address for links in e-mails: `public_url`, or the address we listen on.
    /// Never the request's `Host` header, which a client chooses (reset-link poisoning).
    pub fn base_url(&self) -> String {
        if self.settings.public_url.is_empty() {
            format!("http://{}", self.leptos.site_addr)
        } else {
            self.settings.public_base()
        }
    }

    pub fn session_absolute_ms(&self) -> i64 {
        (self.settings.session_absolute_hours * 3600 * 1000) as i64
    }

    /// What server functions get through Leptos context.
    pub fn ui(&self) -> UiState {
        UiState {
            db: self.db.clone(),
            limiter: self.limiter.clone(),
            secrets: self.secrets.clone(),
            base_url: self.base_url(),
            sampler: self.sampler.clone(),
            session_absolute_ms: self.session_absolute_ms(),
            oidc: self.oidc.clone(),
            gateway: self.gateway.clone(),
        }
    }
}

/// The model endpoints take only the gateway (one reference count, not the whole state).
impl FromRef<AppState> for ops_gateway::Gateway {
    fn from_ref(state: &AppState) -> Self {
        state.gateway.clone()
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
