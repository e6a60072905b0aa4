//! Settings are loaded once at start, in layers: built-in defaults, then
//! `<data_dir>/ops-center.toml`, then `OPS_*` environment variables (`OPS_DATABASE_URL`,
//! `OPS_BIND`, …). The result is put into the application state; nothing reads the environment
//! later. `Debug` redacts the database password.

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// All settings. Field names are the TOML keys and, upper-cased with `OPS_`, the env names.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// Address to listen on.
    pub bind: String,
    /// Folder for the database, the master key and other state.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`. Empty means `sqlite://<data_dir>/ops-center.db`.
    pub database_url: String,
    /// Largest number of pooled database connections.
    pub database_max_connections: u32,
    /// `redis://…` shared by several replicas for per-minute limits. Empty: each replica
    /// counts on its own.
    pub redis_url: String,
    /// `http://[user:password@]host:port`: the AI gateway calls providers through this proxy.
    /// Empty: `HTTPS_PROXY`, else `HTTP_PROXY` (either case) when it is an `http://` proxy.
    pub provider_proxy: String,
    /// Hosts the gateway calls directly despite the proxy (comma-separated, as `NO_PROXY`;
    /// loopback always is). Empty: `NO_PROXY` (either case).
    pub provider_no_proxy: String,
    /// The URL people use to reach this server; decides the `Secure` cookie flag and the
    /// allowed `Origin` of browser requests. Empty: derived from `bind` (http).
    pub public_url: String,
    /// Folder with the built site (WASM, JS, CSS, public assets).
    pub site_dir: PathBuf,
    /// A session ends after this many minutes without a request.
    pub session_idle_minutes: u64,
    /// A session ends this many hours after sign-in, active or not.
    pub session_absolute_hours: u64,
    /// Failed sign-ins allowed per account within `login_window_minutes`.
    pub login_max_failures_per_account: u32,
    /// Failed sign-ins allowed per client IP within `login_window_minutes`.
    pub login_max_failures_per_ip: u32,
    pub login_window_minutes: u64,
    /// Trust `X-Forwarded-For` from a reverse proxy for the client IP.
    pub trust_proxy_headers: bool,
    /// Metrics sampling period in milliseconds.
    pub metrics_interval_ms: u64,
    /// How often the AI gateway writes settled requests (log, charges, counters), in ms.
    pub gateway_flush_ms: u64,
    /// Log filter, e.g. `info` or `ops_center=debug,info`.
    pub log: String,
    /// Base64 of the 32-byte key that seals secrets at rest. Empty: `<data_dir>/master.key`,
    /// created on first run. Never shown by `Debug`.
    pub master_key: String,
    /// Single sign-on providers defined here rather than in the console (`[[sso_providers]]`).
    #[serde(default)]
    pub sso_providers: Vec<SsoProviderConfig>,
}

/// One `[[sso_providers]]` table. Kinds: keycloak, google, microsoft, oidc, github.
#[derive(Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct SsoProviderConfig {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    #[serde(default)]
    pub scopes: String,
    #[serde(default)]
    pub create_users: bool,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub role_claim: String,
    /// Claim value → role, e.g. `{ admins = "admin" }`.
    #[serde(default)]
    pub role_map: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub default_role: String,
    #[serde(default)]
    pub sync_role: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:3000".into(),
            data_dir: PathBuf::from("./data"),
            database_url: String::new(),
            database_max_connections: 10,
            redis_url: String::new(),
            provider_proxy: String::new(),
            provider_no_proxy: String::new(),
            public_url: String::new(),
            site_dir: PathBuf::from("target/site"),
            session_idle_minutes: 60 * 12,
            session_absolute_hours: 24 * 7,
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 20,
            login_window_minutes: 15,
            trust_proxy_headers: false,
            metrics_interval_ms: 1000,
            gateway_flush_ms: 1000,
            log: "info".into(),
            master_key: String::new(),
            sso_providers: Vec::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid settings: {0}")]
pub struct ConfigError(String);

/// Values given on the command line; they win over every other layer.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Loads the layers. The data dir is found first (CLI, then `OPS_DATA_DIR`, then the default)
    /// because the file layer lives inside it.
    pub fn load(overrides: &Overrides) -> Result<Settings, ConfigError> {
        let data_dir = overrides
            .data_dir
            .clone()
            .or_else(|| std::env::var_os("OPS_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| Settings::default().data_dir);
        let mut settings = Settings::load_from(&data_dir, overrides, Env::prefixed("OPS_"))?;
        settings.proxy_from(|name| std::env::var(name).ok());
        Ok(settings)
    }

    /// Fills an unset provider proxy from the variables most tools read (`var` looks one up).
    /// A proxy there that is not plain `http://` (`socks5://`, `https://`) is left to those tools.
    fn proxy_from(&mut self, var: impl Fn(&str) -> Option<String>) {
        let first = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| var(n).filter(|v| !v.trim().is_empty()))
        };
        if self.provider_proxy.is_empty() {
            let found = first(&["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"]);
            if let Some(url) = found.map(|u| u.trim().to_string()) {
                if url.starts_with("http://") {
                    self.provider_proxy = url;
                } else if !url.contains("://") {
                    self.provider_proxy = format!("http://{url}");
                }
            }
        }
        if self.provider_no_proxy.is_empty() {
            self.provider_no_proxy = first(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
        }
    }

    fn load_from(
        data_dir: &Path,
        overrides: &Overrides,
        env: Env,
    ) -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(data_dir.join("ops-center.toml")))
            .merge(env)
            .merge(("data_dir", data_dir));
        if let Some(bind) = &overrides.bind {
            figment = figment.merge(("bind", bind));
        }
        let mut settings: Settings = figment.extract().map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        if settings.database_url.is_empty() {
            settings.database_url = format!("sqlite://{}", settings.db_path().display());
        }
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!(
                "bind: `{}` is not an address like 127.0.0.1:3000",
                self.bind
            )));
        }
        let url = &self.database_url;
        if !(url.is_empty()
            || url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(ConfigError(
                "database_url: must start with sqlite: or postgres://".into(),
            ));
        }
        if !(self.redis_url.is_empty() || self.redis_url.starts_with("redis://")) {
            return Err(ConfigError("redis_url: must start with redis://".into()));
        }
        if !(self.provider_proxy.is_empty() || self.provider_proxy.starts_with("http://")) {
            return Err(ConfigError(
                "provider_proxy: must start with http:// (HTTPS calls go through it in a tunnel)"
                    .into(),
            ));
        }
        if self.session_idle_minutes == 0 || self.session_absolute_hours == 0 {
            return Err(ConfigError("session lifetimes must be positive".into()));
        }
        if !(10..=60_000).contains(&self.gateway_flush_ms) {
            return Err(ConfigError("gateway_flush_ms: from 10 to 60000".into()));
        }
        if self.metrics_interval_ms < 100 {
            return Err(ConfigError("metrics_interval_ms: at least 100".into()));
        }
        Ok(())
    }

    /// Default SQLite file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("ops-center.db")
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// The public base URL without a trailing slash.
    pub fn public_base(&self) -> String {
        if self.public_url.is_empty() {
            format!("http://{}", self.bind)
        } else {
            self.public_url.trim_end_matches('/').to_string()
        }
    }

    /// Cookies get `Secure` when people reach us over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_base().starts_with("https://")
    }

    /// A documented example file, printed by `ops-center config print-default`.
    pub fn example_toml() -> String {
        EXAMPLE.to_string()
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("data_dir", &self.data_dir)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &redact_url(&self.redis_url))
            .field("provider_proxy", &redact_url(&self.provider_proxy))
            .field("public_url", &self.public_url)
            .field("site_dir", &self.site_dir)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[scheme_end + 3..];
    let Some(at) = rest.find('@') else {
        return url.to_string();
    };
    let creds = &rest[..at];
    match creds.find(':') {
        Some(colon) => format!(
            "{}://{}:***{}",
            &url[..scheme_end],
            &creds[..colon],
            &rest[at..]
        ),
        None => url.to_string(),
    }
}

const EXAMPLE: &str = r#"# ops-center.toml — put it in the data dir (default ./data). Every key is optional;
# OPS_<KEY> environment variables (e.g. OPS_DATABASE_URL) override this file.

# Address to listen on. Keep 127.0.0.1 behind a reverse proxy.
bind = "127.0.0.1:3000"

# Empty: an embedded SQLite file, <data_dir>/ops-center.db.
# PostgreSQL for several replicas: "postgres://ops:secret@127.0.0.1:5432/ops"
database_url = ""
database_max_connections = 10

# Several replicas: a Redis they share counts the per-minute limits (plans' and API keys'
# requests and tokens a minute) across all of them. Empty: each replica counts on its own.
# "redis://:secret@127.0.0.1:6379/0"
redis_url = ""

# The AI gateway calls providers through this HTTP proxy (HTTPS in a CONNECT tunnel), except
# loopback and the hosts in provider_no_proxy ("example.com" covers its subdomains; "*": all).
# Empty: HTTPS_PROXY, else HTTP_PROXY, and NO_PROXY from the environment.
# "http://user:secret@proxy.internal:3128"
provider_proxy = ""
provider_no_proxy = ""

# The URL people type, e.g. "https://ops.example.com". HTTPS turns on Secure cookies and
# sets the allowed Origin of browser requests.
public_url = ""

# Where `make build` puts the site (WASM, JS, CSS, public assets).
site_dir = "target/site"

# Sessions end after this idle time, and at the latest this long after sign-in.
session_idle_minutes = 720
session_absolute_hours = 168

# Failed sign-ins allowed per account and per client IP within the window.
login_max_failures_per_account = 5
login_max_failures_per_ip = 20
login_window_minutes = 15

# Take the client IP from X-Forwarded-For (only behind a proxy you trust).
trust_proxy_headers = false

# Live metrics sampling period.
metrics_interval_ms = 1000

# How often the AI gateway writes settled requests (request log, charges, usage counters).
gateway_flush_ms = 1000

# Log filter (tracing EnvFilter syntax).
log = "info"

# The key that seals secrets at rest (SMTP and SSO client secrets, two-factor seeds), as
# base64 of 32 bytes. Empty: <data_dir>/master.key, created on first run with mode 0600.
# Back it up: without it those secrets cannot be read. Prefer OPS_MASTER_KEY to this file.
master_key = ""

# Single sign-on providers can also be added in the console (Settings → Single sign-on).
# Ones defined here are read-only there. Register <public_url>/auth/callback at the provider.
# [[sso_providers]]
# slug = "keycloak"                  # the sign-in address is /auth/login/keycloak
# name = "Company SSO"               # the button's label
# kind = "keycloak"                  # keycloak, google, microsoft, oidc or github
# issuer = "https://id.example.com/realms/main"
# client_id = "ops-center"
# client_secret = "..."              # sealed into the database at start
# scopes = "openid email profile"
# create_users = true                # false: only people who already have an account
# allowed_domains = ["example.com"]
# role_claim = "groups"
# role_map = { admins = "admin", developers = "developer" }
# default_role = "viewer"
# sync_role = false                  # true: the mapping sets the role at every sign-in
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ops-config-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn defaults_give_sqlite_in_the_data_dir() {
        let dir = tmp_dir("defaults");
        let s = Settings::load_from(&dir, &Overrides::default(), Env::prefixed("OPS_TEST_NONE_"))
            .unwrap();
        assert_eq!(
            s.database_url,
            format!("sqlite://{}", dir.join("ops-center.db").display())
        );
        assert_eq!(s.bind, "127.0.0.1:3000");
        assert!(!s.secure_cookies());
    }

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail's closure returns figment's error type"
    )]
    fn file_then_env_then_cli() {
        let dir = tmp_dir("layers");
        std::fs::write(dir.join("ops-center.toml"), "bind = \"127.0.0.1:4000\"\nlog = \"debug\"\npublic_url = \"https://ops.example.com/\"\n").unwrap();
        figment::Jail::expect_with(|jail| {
            jail.set_env("OPSL_LOG", "warn");
            let s =
                Settings::load_from(&dir, &Overrides::default(), Env::prefixed("OPSL_")).unwrap();
            assert_eq!(s.bind, "127.0.0.1:4000", "file layer");
            assert_eq!(s.log, "warn", "env wins over file");
            assert!(s.secure_cookies());
            assert_eq!(s.public_base(), "https://ops.example.com");
            let cli = Overrides {
                bind: Some("127.0.0.1:5000".into()),
                data_dir: None,
            };
            let s = Settings::load_from(&dir, &cli, Env::prefixed("OPSL_")).unwrap();
            assert_eq!(s.bind, "127.0.0.1:5000", "CLI wins");
            Ok(())
        });
    }

    #[test]
    fn the_provider_proxy_falls_back_to_the_usual_variables() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let mut s = Settings::default();
        s.proxy_from(vars(&[
            ("http_proxy", "http://a:3128"),
            ("HTTPS_PROXY", "b:8080"),
            ("no_proxy", "x.io"),
        ]));
        assert_eq!(
            (s.provider_proxy.as_str(), s.provider_no_proxy.as_str()),
            ("http://b:8080", "x.io")
        );
        let mut s = Settings::default();
        s.proxy_from(vars(&[("HTTPS_PROXY", "socks5://c:1080")]));
        assert_eq!(s.provider_proxy, "", "not an HTTP proxy: left alone");
        let mut s = Settings {
            provider_proxy: "http://mine:3128".into(),
            provider_no_proxy: "mine.io".into(),
            ..Settings::default()
        };
        s.proxy_from(vars(&[
            ("HTTPS_PROXY", "http://b:8080"),
            ("NO_PROXY", "x.io"),
        ]));
        assert_eq!(
            (s.provider_proxy.as_str(), s.provider_no_proxy.as_str()),
            ("http://mine:3128", "mine.io"),
            "the setting wins"
        );
        let bad = Settings {
            provider_proxy: "socks5://c:1080".into(),
            ..Settings::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("provider_proxy")
        );
    }

    #[test]
    fn bad_values_are_named() {
        let dir = tmp_dir("bad");
        std::fs::write(dir.join("ops-center.toml"), "bind = \"nowhere\"\n").unwrap();
        let err = Settings::load_from(&dir, &Overrides::default(), Env::prefixed("OPS_TEST_NONE_"))
            .unwrap_err();
        assert!(err.to_string().contains("bind"), "{err}");
    }

    #[test]
    fn example_parses_to_the_defaults_and_debug_redacts() {
        let s: Settings = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::string(EXAMPLE))
            .extract()
            .unwrap();
        assert_eq!(s, Settings::default(), "the example documents the defaults");
        let s = Settings {
            database_url: "postgres://ops:hunter2@db/ops".into(),
            ..Settings::default()
        };
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("ops:***@db"));
    }
}
