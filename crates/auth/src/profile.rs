//! The caller's profile: read and update (display name, bio, locale, time zone).

use ops_db::{AuditRecord, Db, Row, now_ms, record_audit};
use ops_types::{Permission, Profile, ProfileForUpdate, Role};

use crate::{AuthCtx, AuthError};

/// `en`, `pt-BR`, `zh-Hant`: a language and at most two subtags, letters and digits only.
pub fn valid_locale(s: &str) -> bool {
    let mut parts = s.split('-');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_lowercase()));
    let rest: Vec<&str> = parts.collect();
    lang_ok
        && rest.len() <= 2
        && rest
            .iter()
            .all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// `UTC`, `Europe/Berlin`, `America/Argentina/Buenos_Aires`, `Etc/GMT+5`: the shape of an IANA
/// zone name (the browser resolves it; the server only stores it).
pub fn valid_timezone(s: &str) -> bool {
    if s == "UTC" {
        return true;
    }
    let parts: Vec<&str> = s.split('/').collect();
    (2..=3).contains(&parts.len())
        && s.len() <= 64
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
        })
        && parts[0]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
}

pub async fn get(db: &Db, ctx: &AuthCtx) -> Result<Profile, AuthError> {
    ctx.require(Permission::AccountRead)?;
    load(db, &ctx.user_id).await
}

pub(crate) async fn load(db: &Db, user_id: &str) -> Result<Profile, AuthError> {
    let r = sqlx::query(
        "SELECT id, email, display_name, bio, locale, timezone, avatar_at, role, \
         password_hash IS NOT NULL AS has_password, password_changed_at, created_at \
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AuthError::NotFound("user"))?;
    let id: String = r.try_get("id")?;
    let avatar_at: Option<i64> = r.try_get("avatar_at")?;
    let role: String = r.try_get("role")?;
    let has_password: bool = match r.try_get::<bool, _>("has_password") {
        Ok(b) => b,
        Err(_) => r.try_get::<i64, _>("has_password")? != 0,
    };
    Ok(Profile {
        avatar_url: avatar_at.map(|at| format!("/api/v1/users/{id}/avatar?v={at}")),
        id,
        email: r.try_get("email")?,
        display_name: r.try_get("display_name")?,
        bio: r.try_get("bio")?,
        locale: r.try_get("locale")?,
        timezone: r.try_get("timezone")?,
        role: Role::parse(&role).ok_or_else(|| AuthError::Internal(format!("role {role}")))?,
        has_password,
        password_changed_at: r.try_get("password_changed_at")?,
        created_at: r.try_get("created_at")?,
    })
}

pub async fn update(db: &Db, ctx: &AuthCtx, input: ProfileForUpdate) -> Result<Profile, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let display_name = input.display_name.trim();
    if display_name.chars().count() > 100 {
        return Err(AuthError::invalid(
            "display_name",
            "use at most 100 characters",
        ));
    }
    let bio = input.bio.trim();
    if bio.chars().count() > 500 {
        return Err(AuthError::invalid("bio", "use at most 500 characters"));
    }
    if !valid_locale(&input.locale) {
        return Err(AuthError::invalid(
            "locale",
            "use a language tag such as en or pt-BR",
        ));
    }
    if !valid_timezone(&input.timezone) {
        return Err(AuthError::invalid(
            "timezone",
            "use a time zone name such as UTC or Europe/Berlin",
        ));
    }
    let before = load(db, &ctx.user_id).await?;
    let changed: Vec<&str> = [
        ("display_name", before.display_name != display_name),
        ("bio", before.bio != bio),
        ("locale", before.locale != input.locale),
        ("timezone", before.timezone != input.timezone),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    if changed.is_empty() {
        return Ok(before);
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET display_name = $2, bio = $3, locale = $4, timezone = $5, updated_at = $6 \
         WHERE id = $1",
    )
    .bind(&ctx.user_id)
    .bind(display_name)
    .bind(bio)
    .bind(&input.locale)
    .bind(&input.timezone)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let detail = format!("changed={}", changed.join(","));
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit_self("user.profile_update")
        },
    )
    .await?;
    tx.commit().await?;
    load(db, &ctx.user_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_zones_are_shape_checked() {
        for ok in ["en", "pt-BR", "zh-Hant-TW", "fil"] {
            assert!(valid_locale(ok), "{ok}");
        }
        for bad in ["", "EN", "english", "en_US", "en-", "<script>"] {
            assert!(!valid_locale(bad), "{bad}");
        }
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+5",
        ] {
            assert!(valid_timezone(ok), "{ok}");
        }
        for bad in [
            "",
            "Berlin",
            "europe/berlin",
            "../etc/passwd",
            "A/B/C/D",
            "Europe/Ber lin",
        ] {
            assert!(!valid_timezone(bad), "{bad}");
        }
    }
}
