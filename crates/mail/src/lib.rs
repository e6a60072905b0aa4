//! Outgoing e-mail. The SMTP settings are edited in the console and stored in the `settings`
//! table under `mail.smtp`, the password sealed with the master key; [`send`] delivers one
//! plain-text message (STARTTLS, implicit TLS, or plain for a local relay).

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use ops_db::{AnyConnection, Db, get_setting, put_setting};
use ops_secrets::MasterKey;
use serde::{Deserialize, Serialize};

const KEY: &str = "mail.smtp";
const SEAL_CONTEXT: &str = "mail.smtp.password";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("e-mail is not set up; an administrator can set it up under Administration → Settings")]
    NotConfigured,
    #[error("{0}")]
    Address(String),
    #[error("the mail server refused or could not be reached: {0}")]
    Send(String),
    #[error("settings: {0}")]
    Store(String),
}

/// How to reach the mail server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the start (port 465).
    Tls,
    /// No encryption: only for a relay on this machine or a test sink.
    None,
}

/// The stored settings (the password sealed).
#[derive(Clone, Serialize, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// Sealed with the master key.
    pub password_sealed: Option<String>,
    pub from_address: String,
    pub from_name: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from_address", &self.from_address)
            .finish_non_exhaustive()
    }
}

fn store(e: impl std::fmt::Display) -> MailError {
    MailError::Store(e.to_string())
}

pub async fn load(db: &Db) -> Result<Option<SmtpConfig>, MailError> {
    match get_setting(db, KEY).await.map_err(store)? {
        None => Ok(None),
        Some(json) => serde_json::from_str(&json).map(Some).map_err(store),
    }
}

/// Saves `cfg` inside the caller's transaction (which also writes the audit row).
pub async fn save(conn: &mut AnyConnection, cfg: &SmtpConfig, by: &str) -> Result<(), MailError> {
    let json = serde_json::to_string(cfg).map_err(store)?;
    put_setting(conn, KEY, &json, Some(by)).await.map_err(store)
}

pub fn seal_password(key: &MasterKey, password: &str) -> Result<String, MailError> {
    key.seal(SEAL_CONTEXT, password).map_err(store)
}

/// The password's masked hint, for the console.
pub fn password_hint(key: &MasterKey, cfg: &SmtpConfig) -> Option<String> {
    let sealed = cfg.password_sealed.as_deref()?;
    Some(
        key.open(SEAL_CONTEXT, sealed)
            .map(|p| ops_secrets::hint(&p))
            .unwrap_or_else(|_| "(unreadable: master key changed?)".into()),
    )
}

/// One plain-text message.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Sends `mail` with the stored settings.
pub async fn send(db: &Db, key: &MasterKey, mail: Mail) -> Result<(), MailError> {
    let cfg = load(db).await?.ok_or(MailError::NotConfigured)?;
    send_with(&cfg, key, mail).await
}

pub async fn send_with(cfg: &SmtpConfig, key: &MasterKey, mail: Mail) -> Result<(), MailError> {
    let from: Mailbox = format!("{} <{}>", cfg.from_name, cfg.from_address)
        .parse()
        .or_else(|_| cfg.from_address.parse())
        .map_err(|e| MailError::Address(format!("from address: {e}")))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|e| MailError::Address(format!("recipient: {e}")))?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text)
        .map_err(|e| MailError::Address(e.to_string()))?;
    let send_err = |e: lettre::transport::smtp::Error| MailError::Send(e.to_string());
    let mut builder = match cfg.security {
        Security::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host).map_err(send_err)?
        }
        Security::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(send_err)?
        }
        Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host),
    }
    .port(cfg.port)
    .timeout(Some(Duration::from_secs(15)));
    if let (Some(user), Some(sealed)) = (&cfg.username, &cfg.password_sealed) {
        let password = key.open(SEAL_CONTEXT, sealed).map_err(store)?;
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    builder.build().send(message).await.map_err(send_err)?;
    Ok(())
}
