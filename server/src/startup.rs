//! Startup: connect and migrate, open first-run setup when needed, start the sampler, bind,
//! and serve until Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use ops_auth::{DbSessionStore, LoginLimiter, LoginLimits, setup};
use ops_config::Settings;
use ops_db::Db;
use ops_monitoring::Sampler;
use tokio::net::TcpListener;

use crate::state::AppState;

#[derive(Debug)]
pub enum StartError {
    Db(String),
    Bind(String),
    Sampler(String),
    Secrets(String),
    Sso(String),
    Gateway(String),
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StartError::Db(m) => write!(f, "database: {m}"),
            StartError::Bind(m) => write!(f, "cannot listen: {m}"),
            StartError::Sampler(m) => write!(f, "metrics sampler: {m}"),
            StartError::Secrets(m) => write!(f, "secrets: {m}"),
            StartError::Sso(m) => write!(f, "sso_providers: {m}"),
            StartError::Gateway(m) => write!(f, "AI gateway: {m}"),
        }
    }
}

impl std::error::Error for StartError {}

/// A built, bound application, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    setup_token: Option<String>,
    state: AppState,
}

pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .try_init();
}

pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let settings = Arc::new(settings);
    let db = Db::connect(&settings.database_url, settings.database_max_connections)
        .await
        .map_err(|e| {
            StartError::Db(format!(
                "{}: {e}",
                ops_config::redact_url(&settings.database_url)
            ))
        })?;
    db.migrate()
        .await
        .map_err(|e| StartError::Db(format!("migrations: {e}")))?;
    let setup_token = setup::issue_token_if_needed(&db)
        .await
        .map_err(|e| StartError::Db(e.to_string()))?;

    let (secrets, key_source) = ops_secrets::MasterKey::load_or_create(
        &settings.data_dir,
        Some(settings.master_key.as_str()),
    )
    .map_err(|e| StartError::Secrets(e.to_string()))?;
    if key_source == ops_secrets::KeySource::Created {
        tracing::warn!(
            path = %settings.data_dir.join("master.key").display(),
            "created the master key that seals secrets at rest; back it up"
        );
    }
    ops_auth::sso::providers::sync_from_config(&db, &secrets, sso_forms(&settings)?)
        .await
        .map_err(|e| StartError::Sso(e.to_string()))?;
    let sampler = Sampler::start(Duration::from_millis(settings.metrics_interval_ms))
        .map_err(|e| StartError::Sampler(e.to_string()))?;
    let limiter = Arc::new(LoginLimiter::new(LoginLimits {
        max_per_account: settings.login_max_failures_per_account,
        max_per_ip: settings.login_max_failures_per_ip,
        window: Duration::from_secs(settings.login_window_minutes * 60),
    }));

    let listener = TcpListener::bind(&settings.bind)
        .await
        .map_err(|e| StartError::Bind(format!("{}: {e}", settings.bind)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(e.to_string()))?;

    // Built from our settings, not from LEPTOS_* variables: settings are loaded once, here.
    let leptos = leptos::config::LeptosOptions::builder()
        .output_name("ops-center")
        .site_root(settings.site_dir.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build();

    let gateway = ops_gateway::Gateway::start(db.clone(), secrets.clone(), &settings.data_dir)
        .await
        .map_err(|e| StartError::Gateway(e.to_string()))?;
    if !settings.redis_url.is_empty() {
        gateway
            .share_rates(&settings.redis_url)
            .map_err(|e| StartError::Gateway(e.to_string()))?;
    }
    if !settings.provider_proxy.is_empty() {
        gateway
            .use_proxy(&settings.provider_proxy, &settings.provider_no_proxy)
            .map_err(|e| StartError::Gateway(e.to_string()))?;
    }
    gateway.spawn_jobs(Duration::from_millis(settings.gateway_flush_ms));
    let state = AppState {
        gateway,
        settings,
        db: db.clone(),
        limiter,
        secrets,
        sampler,
        oidc: Default::default(),
        leptos,
    };
    spawn_session_cleanup(db.clone());
    tokio::spawn(ops_auth::notify::run_sender(
        db.clone(),
        state.secrets.clone(),
        Duration::from_secs(1),
    ));
    tokio::spawn(ops_billing::ledger::run_expiry(
        db.clone(),
        Duration::from_secs(60),
    ));
    // Card payments due (auto top-ups, renewals credits do not cover), then renewals.
    tokio::spawn(ops_billing::stripe::charge::run_payments(
        db,
        state.secrets.clone(),
        Duration::from_secs(30),
    ));
    let router = crate::http::router(state.clone());
    Ok(Application {
        listener,
        router,
        addr,
        setup_token,
        state,
    })
}

fn spawn_session_cleanup(db: Db) {
    let store = DbSessionStore::new(db);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = store.delete_expired().await {
                tracing::warn!(error = %e, "expired-session cleanup failed");
            }
        }
    });
}

impl Application {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The one-time setup token, when no admin exists yet.
    pub fn setup_token(&self) -> Option<&str> {
        self.setup_token.as_deref()
    }

    pub fn base_url(&self) -> String {
        if self.state.settings.public_url.is_empty() {
            format!("http://{}", self.addr)
        } else {
            self.state.settings.public_base()
        }
    }

    pub fn print_banner(&self) {
        let base = self.base_url();
        println!("Ops-Center is running at {base}");
        println!(
            "  database: {}",
            ops_config::redact_url(&self.state.settings.database_url)
        );
        match &self.setup_token {
            Some(token) => {
                println!(
                    "  No administrator exists yet. Open this one-time link to create the first one"
                );
                println!("  (valid for 24 hours, or until used):");
                println!("    {base}/setup?token={token}");
                println!(
                    "  Or from a shell: ops-center admin create --email you@example.com --password '…' --role admin"
                );
            }
            None => println!("  Sign in at {base}/login"),
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let service = crate::http::front::MakeFront {
            gateway: self.state.gateway.clone(),
            router: self.router,
            main: tokio::runtime::Handle::current(),
        };
        crate::serve::serve(self.listener, service, shutdown_signal()).await
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// The config file's `[[sso_providers]]` as console forms.
fn sso_forms(settings: &Settings) -> Result<Vec<ops_types::SsoProviderForm>, StartError> {
    let role = |slug: &str, s: &str| {
        ops_types::Role::parse(s)
            .ok_or_else(|| StartError::Sso(format!("{slug}: `{s}` is not a role")))
    };
    settings
        .sso_providers
        .iter()
        .map(|c| {
            let role_map = c
                .role_map
                .iter()
                .map(|(value, r)| {
                    Ok(ops_types::RoleMapping {
                        value: value.clone(),
                        role: role(&c.slug, r)?,
                    })
                })
                .collect::<Result<Vec<_>, StartError>>()?;
            Ok(ops_types::SsoProviderForm {
                slug: c.slug.clone(),
                name: c.name.clone(),
                kind: c.kind.clone(),
                issuer: c.issuer.clone(),
                client_id: c.client_id.clone(),
                client_secret: Some(c.client_secret.clone()),
                scopes: c.scopes.clone(),
                enabled: true,
                create_users: c.create_users,
                allowed_domains: c.allowed_domains.clone(),
                role_claim: c.role_claim.clone(),
                role_map,
                default_role: if c.default_role.is_empty() {
                    ops_types::Role::Viewer
                } else {
                    role(&c.slug, &c.default_role)?
                },
                sync_role: c.sync_role,
            })
        })
        .collect()
}
