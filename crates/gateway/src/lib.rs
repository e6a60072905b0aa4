//! The AI gateway: OpenAI-compatible endpoints in front of many providers.
//!
//! A request is authenticated from a cached API key ([`keys`]), its model looked up in the
//! in-memory catalogue ([`catalogue`]), its worst-case cost reserved against the account
//! ([`meter`]), and sent to the deployments in routing order ([`route`]) with retries and
//! fallback ([`proxy`]); streams pass through chunk by chunk. The actual cost is settled when
//! the answer ends and written in batches with the request log ([`log`]). Nothing on the hot
//! path waits on the database.

mod account;
pub mod admin;
pub mod anthropic;
pub mod budget;
pub mod byok;
pub mod catalogue;
pub mod client;
mod error;
pub mod holds;
pub mod journal;
pub mod keys;
pub mod log;
pub mod meter;
pub mod models;
pub mod proxy;
pub mod rates;
pub mod request;
pub mod route;
mod send;
pub mod settings;
mod stream;
pub mod upstream;
pub mod usage;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use ops_db::Db;
use ops_secrets::MasterKey;

pub use error::GatewayError;

/// The catalogue is read again this often, to follow changes made on other replicas.
const RELOAD_EVERY: Duration = Duration::from_secs(10);

pub struct Inner {
    pub db: Db,
    pub secrets: MasterKey,
    catalogue: RwLock<Arc<catalogue::Catalogue>>,
    pub keys: keys::Keys,
    pub meter: meter::Meter,
    pub health: route::Health,
    pub byok: byok::Byok,
    settings: RwLock<ops_types::GatewaySettings>,
    /// Calls the providers.
    pub client: client::Client,
}

/// The gateway, cheap to clone.
#[derive(Clone)]
pub struct Gateway(Arc<Inner>);

impl std::ops::Deref for Gateway {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Gateway {
    /// Recovers what an earlier run settled but did not flush (from the journal in
    /// `journal_dir`), loads the catalogue; call [`Gateway::spawn_jobs`] to start flushing.
    pub async fn start(
        db: Db,
        secrets: MasterKey,
        journal_dir: &std::path::Path,
    ) -> Result<Gateway, GatewayError> {
        route::seed();
        let (journal, _) = journal::open(&db, journal_dir).await?;
        let cat = catalogue::load(&db, &secrets).await?;
        let settings = settings::load(&db).await;
        let meter = meter::Meter::default();
        meter.set_journal(journal);
        Ok(Gateway(Arc::new(Inner {
            db,
            secrets,
            catalogue: RwLock::new(Arc::new(cat)),
            keys: keys::Keys::default(),
            meter,
            health: route::Health::default(),
            byok: byok::Byok::default(),
            settings: RwLock::new(settings),
            client: client::Client::default(),
        })))
    }

    /// Starts the flusher (every `flush_every`) and the catalogue reloader.
    pub fn spawn_jobs(&self, flush_every: Duration) {
        tokio::spawn(meter::run(self.clone(), flush_every));
        tokio::spawn(settings::run_retention(
            self.db.clone(),
            Duration::from_secs(3600),
        ));
        let gw = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(RELOAD_EVERY);
            loop {
                tick.tick().await;
                if let Err(e) = gw.reload().await {
                    tracing::warn!(error = %e, "gateway catalogue reload failed");
                }
            }
        });
    }

    pub fn catalogue(&self) -> Arc<catalogue::Catalogue> {
        self.catalogue
            .read()
            .map(|c| c.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Reads the catalogue again (after a console change).
    pub async fn reload(&self) -> Result<(), GatewayError> {
        let cat = Arc::new(catalogue::load(&self.db, &self.secrets).await?);
        match self.catalogue.write() {
            Ok(mut c) => *c = cat,
            Err(p) => *p.into_inner() = cat,
        }
        let s = settings::load(&self.db).await;
        match self.settings.write() {
            Ok(mut c) => *c = s,
            Err(p) => *p.into_inner() = s,
        }
        Ok(())
    }

    /// The console settings in force.
    pub fn settings(&self) -> ops_types::GatewaySettings {
        self.settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone())
    }

    /// Shares the per-minute limits with the other replicas through the Redis at `url`
    /// ([`rates`]).
    pub fn share_rates(&self, url: &str) -> Result<(), GatewayError> {
        self.meter.rates.share(url)
    }

    /// Calls providers through the HTTP proxy at `url`, except the hosts in `skip`
    /// ([`client::Proxy::parse`]).
    pub fn use_proxy(&self, url: &str, skip: &str) -> Result<(), GatewayError> {
        let proxy = client::Proxy::parse(url, skip)
            .map_err(|e| GatewayError::Internal(format!("provider_proxy: {e}")))?;
        self.client.use_proxy(proxy);
        Ok(())
    }

    /// Writes the settled requests now.
    pub async fn flush(&self) -> Result<usize, GatewayError> {
        self.meter.flush(&self.db).await
    }
}
