//! Reading users as an administrator: the filtered, sorted, paged list (indexed so it stays
//! fast at 100k users), one user's detail, the role catalogue and figures.

use ops_db::sql::{Bind, Where, contains};
use ops_db::{Db, Row, now_ms};
use ops_types::{
    AuditPage, AuditQuery, Count, Permission, Role, RoleInfo, UserAnalytics, UserDetail, UserPage,
    UserQuery, date_of_day,
};

use crate::{AuthCtx, AuthError, User, profile, users};

fn where_of(q: &UserQuery) -> Result<Where, AuthError> {
    let mut w = Where::new();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if text.len() > 200 {
            return Err(AuthError::invalid("q", "at most 200 characters"));
        }
        w.push(
            "(email LIKE ? ESCAPE '\\' OR LOWER(display_name) LIKE ? ESCAPE '\\')",
            [contains(text), contains(text)],
        );
    }
    if let Some(role) = q.role {
        w.push("role = ?", [Bind::Text(role.as_str().into())]);
    }
    match q.status.as_deref() {
        None | Some("") => {}
        Some("active") => {
            w.push("disabled = 0", []);
        }
        Some("suspended") => {
            w.push("disabled = 1", []);
        }
        Some(_) => return Err(AuthError::invalid("status", "use active or suspended")),
    }
    for (col, op, v) in [
        ("created_at", ">=", q.created_from),
        ("created_at", "<", q.created_to),
        ("last_login_at", ">=", q.login_from),
        ("last_login_at", "<", q.login_to),
    ] {
        if let Some(v) = v {
            w.push(&format!("{col} {op} ?"), [Bind::Int(v)]);
        }
    }
    if q.never_signed_in == Some(true) {
        w.push("last_login_at IS NULL", []);
    }
    if let Some(tier) = q.tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        w.push("tier = ?", [Bind::Text(tier.into())]);
    }
    if let Some(org) = q.org.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        w.push(
            "id IN (SELECT m.user_id FROM org_members m WHERE m.org_id = ?)",
            [Bind::Text(org.into())],
        );
    }
    match q.provider.as_deref().map(str::trim) {
        None | Some("") => {}
        Some("none") => {
            w.push("id NOT IN (SELECT i.user_id FROM user_identities i)", []);
        }
        Some(slug) => {
            w.push(
                "id IN (SELECT i.user_id FROM user_identities i JOIN sso_providers p ON p.id = i.provider_id \
                 WHERE p.slug = ?)",
                [Bind::Text(slug.into())],
            );
        }
    }
    Ok(w)
}

fn order_of(q: &UserQuery) -> Result<String, AuthError> {
    let col = match q.sort.as_deref().unwrap_or("created_at") {
        "email" => "email",
        "name" => "LOWER(display_name)",
        "created_at" => "created_at",
        "last_login_at" => "last_login_at",
        _ => {
            return Err(AuthError::invalid(
                "sort",
                "use email, name, created_at or last_login_at",
            ));
        }
    };
    let dir = match q.dir.as_deref().unwrap_or("desc") {
        "asc" => "ASC",
        "desc" => "DESC",
        _ => return Err(AuthError::invalid("dir", "use asc or desc")),
    };
    // Never-signed-in users sort as oldest (NULL is the smallest in SQLite, the largest in
    // PostgreSQL: say it).
    let nulls = if dir == "ASC" {
        "NULLS FIRST"
    } else {
        "NULLS LAST"
    };
    let nulls = if col == "last_login_at" { nulls } else { "" };
    Ok(format!("{col} {dir} {nulls}, id {dir}"))
}

/// One page of matching users and the total.
pub async fn list(db: &Db, ctx: &AuthCtx, q: &UserQuery) -> Result<UserPage, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let page = q.page.unwrap_or(1);
    let per_page = q.per_page.unwrap_or(50);
    if page < 1 {
        return Err(AuthError::invalid("page", "pages start at 1"));
    }
    if !(1..=200).contains(&per_page) {
        return Err(AuthError::invalid("per_page", "must be between 1 and 200"));
    }
    let users = rows(db, q, per_page, (page - 1) * per_page).await?;
    let w = where_of(q)?;
    let sql = format!("SELECT COUNT(*) AS n FROM users{}", w.sql());
    let total: i64 = w
        .apply(sqlx::query(&sql))
        .fetch_one(db.pool())
        .await?
        .try_get("n")?;
    Ok(UserPage {
        users: users.iter().map(User::view).collect(),
        total,
        page,
        per_page,
    })
}

/// Matching users in the query's order, `limit` from `offset` (also used by the export).
pub async fn rows(db: &Db, q: &UserQuery, limit: i64, offset: i64) -> Result<Vec<User>, AuthError> {
    let mut w = where_of(q)?;
    let order = order_of(q)?;
    let lim = w.bind(Bind::Int(limit));
    let off = w.bind(Bind::Int(offset));
    let sql = format!(
        "SELECT {} FROM users{} ORDER BY {order} LIMIT {lim} OFFSET {off}",
        User::COLUMNS,
        w.sql()
    );
    let rows = w.apply(sqlx::query(&sql)).fetch_all(db.pool()).await?;
    rows.iter().map(User::from_row).collect()
}

pub(crate) async fn find(db: &Db, user_id: &str) -> Result<User, AuthError> {
    users::find_by_id(db, user_id)
        .await?
        .ok_or(AuthError::NotFound("user"))
}

pub async fn detail(db: &Db, ctx: &AuthCtx, user_id: &str) -> Result<UserDetail, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let user = find(db, user_id).await?;
    let p = profile::load(db, user_id).await?;
    let count = |sql: &'static str| async move {
        let n: i64 = sqlx::query(sql)
            .bind(user_id)
            .bind(now_ms())
            .fetch_one(db.pool())
            .await?
            .try_get("n")?;
        Ok::<_, AuthError>(n)
    };
    let active_sessions =
        count("SELECT COUNT(*) AS n FROM sessions WHERE user_id = $1 AND expires_at > $2").await?;
    let active_api_keys = count(
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL AND $2 > 0",
    )
    .await?;
    Ok(UserDetail {
        permissions: user
            .role
            .permissions()
            .iter()
            .map(|p| p.as_str().into())
            .collect(),
        user: user.view(),
        bio: p.bio,
        locale: p.locale,
        timezone: p.timezone,
        avatar_url: p.avatar_url,
        has_password: p.has_password,
        password_changed_at: p.password_changed_at,
        active_sessions,
        active_api_keys,
        mfa_enabled: crate::mfa::totp_enabled(db, user_id).await?,
        identities: crate::sso::accept::identities_of(db, user_id).await?,
        orgs: crate::orgs::members::memberships(db, user_id).await?,
    })
}

/// A user's activity, newest first: sign-ins, sessions and keys, profile changes, and what
/// administrators did to them — their rows of the audit log.
pub async fn activity(
    db: &Db,
    ctx: &AuthCtx,
    user_id: &str,
    before: Option<i64>,
    limit: Option<i64>,
) -> Result<AuditPage, AuthError> {
    ctx.require(Permission::UsersRead)?;
    find(db, user_id).await?;
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AuthError::invalid("limit", "must be between 1 and 200"));
    }
    let q = AuditQuery {
        subject: Some(user_id.to_string()),
        before,
        ..AuditQuery::default()
    };
    crate::audit::page(db, &q, limit).await
}

fn role_info(rank: usize, r: Role) -> RoleInfo {
    RoleInfo {
        role: r,
        label: r.label().into(),
        rank,
        permissions: r.permissions().iter().map(|p| p.as_str().into()).collect(),
    }
}

/// The roles, most privileged first, with what each grants.
pub fn roles(ctx: &AuthCtx) -> Result<Vec<RoleInfo>, AuthError> {
    ctx.require(Permission::UsersRead)?;
    Ok(Role::ALL
        .iter()
        .enumerate()
        .map(|(rank, r)| role_info(rank, *r))
        .collect())
}

/// A user's role, its rank and the permissions it grants them.
pub async fn effective_role(db: &Db, ctx: &AuthCtx, user_id: &str) -> Result<RoleInfo, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let user = find(db, user_id).await?;
    let rank = Role::ALL
        .iter()
        .position(|r| *r == user.role)
        .unwrap_or(Role::ALL.len());
    Ok(role_info(rank, user.role))
}

/// Rows of `k` (a text key) and `n` (a count), in the query's order; `arg` binds `$1`.
pub(crate) async fn counts(db: &Db, sql: &str, arg: Option<&str>) -> Result<Vec<Count>, AuthError> {
    let mut q = sqlx::query(sql);
    if let Some(arg) = arg {
        q = q.bind(arg);
    }
    q.fetch_all(db.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(Count {
                key: r.try_get("k")?,
                count: r.try_get("n")?,
            })
        })
        .collect()
}

pub async fn analytics(db: &Db, ctx: &AuthCtx) -> Result<UserAnalytics, AuthError> {
    ctx.require(Permission::UsersRead)?;
    let t = sqlx::query(
        "SELECT COUNT(*) AS total, \
         COALESCE(SUM(CASE WHEN disabled = 0 THEN 1 ELSE 0 END), 0) AS active, \
         COALESCE(SUM(CASE WHEN last_login_at IS NULL THEN 1 ELSE 0 END), 0) AS never \
         FROM users",
    )
    .fetch_one(db.pool())
    .await?;
    let total: i64 = t.try_get("total")?;
    let active: i64 = t.try_get("active")?;
    let by_role = counts(
        db,
        "SELECT role AS k, COUNT(*) AS n FROM users GROUP BY role ORDER BY n DESC, role",
        None,
    )
    .await?;
    let by_provider = counts(
        db,
        "SELECT p.slug AS k, COUNT(*) AS n FROM user_identities i JOIN sso_providers p ON p.id = i.provider_id \
         GROUP BY p.slug UNION ALL \
         SELECT 'password' AS k, COUNT(*) AS n FROM users u \
         WHERE u.id NOT IN (SELECT i.user_id FROM user_identities i) ORDER BY n DESC",
        None,
    )
    .await?;
    let by_tier = counts(
        db,
        "SELECT tier AS k, COUNT(*) AS n FROM users GROUP BY tier ORDER BY n DESC, tier",
        None,
    )
    .await?;
    let since = now_ms() - 90 * 86_400_000;
    let signups_by_day = sqlx::query(
        "SELECT created_at / 86400000 AS d, COUNT(*) AS n FROM users WHERE created_at >= $1 \
         GROUP BY created_at / 86400000 ORDER BY d",
    )
    .bind(since)
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| {
        Ok(Count {
            key: date_of_day(r.try_get("d")?),
            count: r.try_get("n")?,
        })
    })
    .collect::<Result<_, AuthError>>()?;
    Ok(UserAnalytics {
        total,
        active,
        suspended: total - active,
        never_signed_in: t.try_get("never")?,
        by_role,
        by_provider,
        by_tier,
        signups_by_day,
    })
}
