//! Two-factor sign-in: TOTP enrolment (QR code), confirmation, recovery codes, the second
//! step of sign-in, turning it off, an administrator's reset, and which roles require it.
//!
//! The TOTP seed is sealed with the master key (`ops_secrets`); recovery codes are stored as
//! SHA-256 hashes. A TOTP code is accepted once (the last used step is kept).

pub mod totp;

use ops_db::{AuditRecord, Db, Row, get_setting, now_ms, put_setting, record_audit};
use ops_secrets::MasterKey;
use ops_types::{MfaPolicy, MfaStatus, Permission, RecoveryCodes, Role, TotpSetup};

use crate::token::{random_hex, sha256_hex};
use crate::{AuthCtx, AuthError, User, admin};

const SEAL_CONTEXT: &str = "mfa_totp.secret";
const ISSUER: &str = "Ops-Center";
const POLICY_KEY: &str = "mfa.required_roles";
const RECOVERY_CODES: usize = 10;

fn wrong_code() -> AuthError {
    AuthError::invalid("code", "the code is wrong, expired or already used")
}

fn sealed_err(e: ops_secrets::SecretError) -> AuthError {
    AuthError::Internal(format!("totp secret: {e}"))
}

/// Roles that must use two-factor sign-in.
pub async fn required_roles(db: &Db) -> Result<Vec<Role>, AuthError> {
    Ok(get_setting(db, POLICY_KEY)
        .await?
        .map(|v| v.split(',').filter_map(Role::parse).collect())
        .unwrap_or_default())
}

pub async fn policy(db: &Db, ctx: &AuthCtx) -> Result<MfaPolicy, AuthError> {
    ctx.require(Permission::UsersRead)?;
    Ok(MfaPolicy {
        required_roles: required_roles(db).await?,
    })
}

pub async fn set_policy(db: &Db, ctx: &AuthCtx, input: MfaPolicy) -> Result<MfaPolicy, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let value: Vec<&str> = Role::ALL
        .iter()
        .filter(|r| input.required_roles.contains(r))
        .map(|r| r.as_str())
        .collect();
    let value = value.join(",");
    let mut tx = db.begin().await?;
    put_setting(&mut tx, POLICY_KEY, &value, Some(&ctx.user_id)).await?;
    let detail = format!("required_roles={value}");
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(POLICY_KEY),
            detail: Some(&detail),
            ..ctx.audit("settings.update")
        },
    )
    .await?;
    tx.commit().await?;
    policy(db, ctx).await
}

/// Whether `user_id` has confirmed TOTP.
pub async fn totp_enabled(db: &Db, user_id: &str) -> Result<bool, AuthError> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM mfa_totp WHERE user_id = $1 AND enabled_at IS NOT NULL",
    )
    .bind(user_id)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

/// True when the user's role requires two-factor sign-in and they have not set it up.
pub async fn enrolment_missing(db: &Db, user: &User) -> Result<bool, AuthError> {
    Ok(required_roles(db).await?.contains(&user.role) && !totp_enabled(db, &user.id).await?)
}

pub async fn status(db: &Db, ctx: &AuthCtx) -> Result<MfaStatus, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let row = sqlx::query("SELECT enabled_at FROM mfa_totp WHERE user_id = $1")
        .bind(&ctx.user_id)
        .fetch_optional(db.pool())
        .await?;
    let enabled_at: Option<i64> = match row {
        Some(r) => r.try_get("enabled_at")?,
        None => None,
    };
    let left: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(&ctx.user_id)
    .fetch_one(db.pool())
    .await?
    .try_get("n")?;
    Ok(MfaStatus {
        totp_enabled: enabled_at.is_some(),
        enabled_at,
        recovery_codes_left: left,
        required: required_roles(db).await?.contains(&ctx.role),
    })
}

/// Starts (or restarts) enrolment with a fresh seed. Refused while TOTP is on.
pub async fn setup(db: &Db, key: &MasterKey, ctx: &AuthCtx) -> Result<TotpSetup, AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("set up two-factor sign-in")?;
    if totp_enabled(db, &ctx.user_id).await? {
        return Err(AuthError::Conflict(
            "two-factor sign-in is already on; turn it off first to enrol a new device".into(),
        ));
    }
    let mut seed = [0u8; 20];
    getrandom::getrandom(&mut seed).map_err(|e| AuthError::Internal(format!("rng: {e}")))?;
    let secret = totp::base32_encode(&seed);
    let sealed = key.seal(SEAL_CONTEXT, &secret).map_err(sealed_err)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1")
        .bind(&ctx.user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO mfa_totp (user_id, secret_sealed, created_at) VALUES ($1, $2, $3)")
        .bind(&ctx.user_id)
        .bind(&sealed)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    let uri = totp::otpauth_uri(ISSUER, &ctx.email, &secret);
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| AuthError::Internal(format!("qr: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpSetup {
        secret,
        otpauth_uri: uri,
        qr_svg,
    })
}

/// Checks a TOTP code for `user_id` and consumes its step. `require_enabled`: only a
/// confirmed enrolment counts (sign-in); otherwise the pending one (confirmation).
async fn check_totp(
    db: &Db,
    key: &MasterKey,
    user_id: &str,
    code: &str,
    require_enabled: bool,
) -> Result<bool, AuthError> {
    let Some(r) =
        sqlx::query("SELECT secret_sealed, enabled_at, last_step FROM mfa_totp WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?
    else {
        return Ok(false);
    };
    let enabled: Option<i64> = r.try_get("enabled_at")?;
    if require_enabled && enabled.is_none() {
        return Ok(false);
    }
    let sealed: String = r.try_get("secret_sealed")?;
    let secret = key.open(SEAL_CONTEXT, &sealed).map_err(sealed_err)?;
    let seed = totp::base32_decode(&secret).ok_or_else(|| AuthError::Internal("seed".into()))?;
    let last: Option<i64> = r.try_get("last_step")?;
    let Some(step) = totp::verify(&seed, code, now_ms() / 1000, last) else {
        return Ok(false);
    };
    // Consume the step; a concurrent use of the same code updates nothing and fails.
    let used = sqlx::query(
        "UPDATE mfa_totp SET last_step = $2 WHERE user_id = $1 AND (last_step IS NULL OR last_step < $2)",
    )
    .bind(user_id)
    .bind(step)
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// Uses one recovery code of `user_id`, if `code` is one.
async fn use_recovery_code(db: &Db, user_id: &str, code: &str) -> Result<bool, AuthError> {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if normal.len() != 10 {
        return Ok(false);
    }
    let used = sqlx::query(
        "UPDATE mfa_recovery_codes SET used_at = $3 \
         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(sha256_hex(&normal))
    .bind(now_ms())
    .execute(db.pool())
    .await?
    .rows_affected();
    Ok(used == 1)
}

/// New recovery codes (replacing any), in the caller's transaction.
async fn new_codes(tx: &mut ops_db::Tx, user_id: &str) -> Result<RecoveryCodes, AuthError> {
    sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await?;
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw = random_hex(5)?;
        sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
            .bind(user_id)
            .bind(sha256_hex(&raw))
            .execute(&mut **tx)
            .await?;
        codes.push(format!("{}-{}", &raw[..5], &raw[5..]));
    }
    Ok(RecoveryCodes { codes })
}

async fn audit_self(tx: &mut ops_db::Tx, ctx: &AuthCtx, action: &str) -> Result<(), AuthError> {
    record_audit(tx, ctx.audit_self(action)).await?;
    Ok(())
}

/// Confirms enrolment with a code from the app; answers the recovery codes (shown once).
pub async fn enable(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    code: &str,
) -> Result<RecoveryCodes, AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("turn on two-factor sign-in")?;
    if totp_enabled(db, &ctx.user_id).await? {
        return Err(AuthError::Conflict(
            "two-factor sign-in is already on".into(),
        ));
    }
    if !check_totp(db, key, &ctx.user_id, code, false).await? {
        return Err(wrong_code());
    }
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE mfa_totp SET enabled_at = $2 WHERE user_id = $1")
        .bind(&ctx.user_id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    let codes = new_codes(&mut tx, &ctx.user_id).await?;
    audit_self(&mut tx, ctx, "mfa.enable").await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Security,
        "Two-factor sign-in is on",
        "Signing in to Ops-Center now also asks for a code from your authenticator app. Keep your recovery codes somewhere safe.",
    )
    .link("/account/security");
    crate::notify::queue(&mut tx, &ctx.user_id, notice).await?;
    tx.commit().await?;
    Ok(codes)
}

/// A current TOTP or recovery code of the caller, or `wrong_code`.
async fn prove(db: &Db, key: &MasterKey, ctx: &AuthCtx, code: &str) -> Result<(), AuthError> {
    if check_totp(db, key, &ctx.user_id, code, true).await?
        || use_recovery_code(db, &ctx.user_id, code).await?
    {
        Ok(())
    } else {
        Err(wrong_code())
    }
}

/// New recovery codes; needs a current code.
pub async fn regenerate(
    db: &Db,
    key: &MasterKey,
    ctx: &AuthCtx,
    code: &str,
) -> Result<RecoveryCodes, AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("replace recovery codes")?;
    if !totp_enabled(db, &ctx.user_id).await? {
        return Err(AuthError::Conflict(
            "turn on two-factor sign-in first".into(),
        ));
    }
    prove(db, key, ctx, code).await?;
    let mut tx = db.begin().await?;
    let codes = new_codes(&mut tx, &ctx.user_id).await?;
    audit_self(&mut tx, ctx, "mfa.recovery_codes_regenerate").await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns two-factor sign-in off; needs a current code, and is refused when the role requires it.
pub async fn disable(db: &Db, key: &MasterKey, ctx: &AuthCtx, code: &str) -> Result<(), AuthError> {
    ctx.require(Permission::AccountRead)?;
    ctx.not_impersonated("turn off two-factor sign-in")?;
    if !totp_enabled(db, &ctx.user_id).await? {
        return Err(AuthError::Conflict("two-factor sign-in is not on".into()));
    }
    if required_roles(db).await?.contains(&ctx.role) {
        return Err(AuthError::Conflict(
            "your role requires two-factor sign-in; it cannot be turned off".into(),
        ));
    }
    prove(db, key, ctx, code).await?;
    let mut tx = db.begin().await?;
    remove(&mut tx, &ctx.user_id).await?;
    audit_self(&mut tx, ctx, "mfa.disable").await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Security,
        "Two-factor sign-in is off",
        "Signing in to Ops-Center now needs only your password. If this was not you, change your password and turn it on again.",
    )
    .link("/account/security");
    crate::notify::queue(&mut tx, &ctx.user_id, notice).await?;
    tx.commit().await?;
    Ok(())
}

async fn remove(tx: &mut ops_db::Tx, user_id: &str) -> Result<(), AuthError> {
    for sql in [
        "DELETE FROM mfa_totp WHERE user_id = $1",
        "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user_id).execute(&mut **tx).await?;
    }
    Ok(())
}

/// An administrator removes a user's second factor (lost device). Their sessions end.
pub async fn admin_reset(db: &Db, ctx: &AuthCtx, user_id: &str) -> Result<(), AuthError> {
    ctx.require(Permission::UsersManage)?;
    let user = admin::query::find(db, user_id).await?;
    if !totp_enabled(db, user_id).await? {
        return Err(AuthError::Conflict(
            "this user has no second factor to reset".into(),
        ));
    }
    let mut tx = db.begin().await?;
    remove(&mut tx, user_id).await?;
    let ended = crate::devices::end_all(&mut tx, user_id, None).await?;
    let detail = format!("sessions_ended={ended}");
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&user.id),
            target_label: Some(&user.email),
            detail: Some(&detail),
            ..ctx.audit("mfa.admin_reset")
        },
    )
    .await?;
    let notice = crate::notify::Notice::new(
        ops_types::NotificationKind::Security,
        "An administrator removed your second factor",
        format!("{} removed two-factor sign-in from your account (a lost device); you were signed out. Set it up again under Account → Security.", ctx.email),
    )
    .link("/account/security");
    crate::notify::queue(&mut tx, user_id, notice).await?;
    tx.commit().await?;
    Ok(())
}

/// The second step of sign-in for `user`: a TOTP code or a recovery code. Answers how.
pub async fn second_factor(
    db: &Db,
    key: &MasterKey,
    user: &User,
    code: &str,
) -> Result<&'static str, AuthError> {
    if check_totp(db, key, &user.id, code, true).await? {
        return Ok("password+totp");
    }
    if use_recovery_code(db, &user.id, code).await? {
        return Ok("password+recovery_code");
    }
    Err(wrong_code())
}
