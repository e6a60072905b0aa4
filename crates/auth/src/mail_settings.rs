//! The console's SMTP settings (`settings_manage`): read with a masked password, save (the
//! password sealed; absent keeps it), and send a test message.

use ops_db::{AuditRecord, Db, record_audit};
use ops_mail::{Security, SmtpConfig};
use ops_secrets::MasterKey;
use ops_types::{Permission, SmtpSettings, SmtpSettingsForUpdate, TestMail};

use crate::users::Email;
use crate::{AuthCtx, AuthError};

fn security_name(s: Security) -> &'static str {
    match s {
        Security::Starttls => "starttls",
        Security::Tls => "tls",
        Security::None => "none",
    }
}

fn store_err(e: ops_mail::MailError) -> AuthError {
    AuthError::Internal(e.to_string())
}

pub async fn get(db: &Db, key: &MasterKey, ctx: &AuthCtx) -> Result<SmtpSettings, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    Ok(match ops_mail::load(db).await.map_err(store_err)? {
        None => SmtpSettings {
            configured: false,
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: None,
            password_hint: None,
            from_address: String::new(),
            from_name: "Ops-Center".into(),
        },
        Some(c) => SmtpSettings {
            configured: true,
            password_hint: ops_mail::password_hint(key, &c),
            host: c.host,
            port: c.port,
            security: security_name(c.security).into(),
            username: c.username,
            from_address: c.from_address,
            from_name: c.from_name,
        },
    })
}

pub async fn save(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: SmtpSettingsForUpdate,
) -> Result<SmtpSettings, AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let host = input.host.trim().to_string();
    if host.is_empty() || host.len() > 253 || host.contains(|c: char| c.is_whitespace() || c == '/')
    {
        return Err(AuthError::invalid(
            "host",
            "a host name or IP address, such as smtp.example.com",
        ));
    }
    if input.port == 0 {
        return Err(AuthError::invalid(
            "port",
            "a port such as 587 (STARTTLS) or 465 (TLS)",
        ));
    }
    let security = match input.security.as_str() {
        "starttls" => Security::Starttls,
        "tls" => Security::Tls,
        "none" => Security::None,
        _ => return Err(AuthError::invalid("security", "starttls, tls or none")),
    };
    let from = Email::parse(&input.from_address)
        .map_err(|_| AuthError::invalid("from_address", "an e-mail address"))?;
    let previous = ops_mail::load(db).await.map_err(store_err)?;
    let password_sealed = match input.password.as_deref() {
        None => previous.and_then(|p| p.password_sealed),
        Some("") => None,
        Some(pw) => Some(ops_mail::seal_password(key, pw).map_err(store_err)?),
    };
    let cfg = SmtpConfig {
        host,
        port: input.port,
        security,
        username: input
            .username
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty()),
        password_sealed,
        from_address: from.as_str().to_string(),
        from_name: input.from_name.trim().chars().take(100).collect(),
    };
    let mut tx = db.begin().await?;
    ops_mail::save(&mut tx, &cfg, &ctx.user_id)
        .await
        .map_err(store_err)?;
    let detail = format!(
        "host={} port={} security={}",
        cfg.host,
        cfg.port,
        security_name(security)
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some("mail.smtp"),
            detail: Some(&detail),
            ..ctx.audit("settings.update")
        },
    )
    .await?;
    tx.commit().await?;
    get(db, key, ctx).await
}

/// Sends a test message with the saved settings; the error says what the server answered.
pub async fn test(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    input: TestMail,
) -> Result<(), AuthError> {
    ctx.require(Permission::SettingsManage)?;
    let to = Email::parse(&input.to).map_err(|_| AuthError::invalid("to", "an e-mail address"))?;
    let mail = ops_mail::Mail {
        to: to.as_str().to_string(),
        subject: "Ops-Center test message".into(),
        text: "This message confirms that Ops-Center can send e-mail.\n".into(),
    };
    ops_mail::send(db, key, mail).await.map_err(|e| match e {
        ops_mail::MailError::NotConfigured => AuthError::Unavailable(e.to_string()),
        other => AuthError::invalid("smtp", other.to_string()),
    })
}
