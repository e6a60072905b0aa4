//! Users: the one identity store.

use ops_db::{AuditRecord, Db, Row, Tx, new_id, now_ms, record_audit};
use ops_types::{Me, Permission, Role, UserView};
use sqlx::any::AnyRow;

use crate::{AuthCtx, AuthError, password};

/// A syntactically valid, lower-cased email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, AuthError> {
        let s = raw.trim().to_lowercase();
        let bad = |m: &str| Err(AuthError::invalid("email", m.to_string()));
        if s.is_empty() {
            return bad("enter an email address");
        }
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("not a valid email address");
        }
        match s.split_once('@') {
            Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.') =>
            {
                Ok(Email(s))
            }
            _ => bad("not a valid email address"),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: Role,
    /// The plan code.
    pub tier: String,
    pub disabled: bool,
    /// Self-registered accounts sign in only once their address is confirmed.
    pub email_verified: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

impl User {
    pub(crate) const COLUMNS: &'static str = "id, email, display_name, password_hash, role, tier, disabled, created_at, \
         last_login_at, email_verified_at";

    pub(crate) fn from_row(r: &AnyRow) -> Result<User, AuthError> {
        let role: String = r.try_get("role")?;
        Ok(User {
            id: r.try_get("id")?,
            email: r.try_get("email")?,
            display_name: r.try_get("display_name")?,
            password_hash: r.try_get("password_hash")?,
            role: Role::parse(&role)
                .ok_or_else(|| AuthError::Internal(format!("unknown role {role}")))?,
            tier: r.try_get("tier")?,
            disabled: r.try_get::<i64, _>("disabled")? != 0,
            email_verified: r.try_get::<Option<i64>, _>("email_verified_at")?.is_some(),
            created_at: r.try_get("created_at")?,
            last_login_at: r.try_get("last_login_at")?,
        })
    }

    /// An audit record of `action` by this user on their own account, before any session
    /// exists (sign-in, reset link, SSO).
    pub(crate) fn audit_self<'a>(
        &'a self,
        action: &'a str,
        ip: Option<&'a str>,
        detail: Option<&'a str>,
    ) -> ops_db::AuditRecord<'a> {
        ops_db::AuditRecord {
            actor_id: Some(&self.id),
            action,
            target: Some(&self.id),
            target_label: Some(&self.email),
            ip,
            detail,
            ..ops_db::AuditRecord::default()
        }
    }

    /// The user as they see themselves.
    pub fn me(&self) -> Me {
        Me {
            id: self.id.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            permissions: self
                .role
                .permissions()
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            created_at: self.created_at,
            last_login_at: self.last_login_at,
            impersonation: None,
        }
    }

    pub fn view(&self) -> UserView {
        UserView {
            id: self.id.clone(),
            email: self.email.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            tier: self.tier.clone(),
            disabled: self.disabled,
            created_at: self.created_at,
            last_login_at: self.last_login_at,
        }
    }
}

/// Input for a new local user.
#[derive(Debug, Clone)]
pub struct UserForCreate {
    pub email: String,
    pub display_name: String,
    /// `None`: no password (the user signs in through SSO or a reset link).
    pub password: Option<String>,
    pub role: Role,
}

/// Who creates a user; recorded in the audit row.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The operator at the command line (`ops-center admin create`).
    Cli,
    /// The first visitor holding the setup link.
    Setup { ip: Option<&'a str> },
    /// A signed-in administrator.
    Admin(&'a AuthCtx),
    /// The person themself, on the registration page (the address is not confirmed yet).
    SignUp { ip: Option<&'a str> },
    /// The person themself, accepting an e-mailed organisation invitation.
    Invitation { ip: Option<&'a str> },
    /// The person themself, signing in through a provider for the first time.
    Sso {
        provider: &'a str,
        verified: bool,
        ip: Option<&'a str>,
    },
}

impl Actor<'_> {
    /// Whether the new account's address counts as confirmed.
    fn confirms_email(self) -> bool {
        match self {
            Actor::SignUp { .. } => false,
            Actor::Sso { verified, .. } => verified,
            _ => true,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Actor::Cli => "cli",
            Actor::Setup { .. } => "setup_link",
            Actor::Admin(_) => "admin",
            Actor::SignUp { .. } => "registration",
            Actor::Sso { .. } => "sso",
            Actor::Invitation { .. } => "invitation",
        }
    }
}

/// Creates a user from the command line (`ops-center admin create`).
pub async fn create_from_cli(db: &Db, input: UserForCreate) -> Result<User, AuthError> {
    let mut tx = db.begin().await?;
    let user = insert(&mut tx, input, Actor::Cli).await?;
    tx.commit().await?;
    Ok(user)
}

/// Validates, hashes and inserts, writing the audit row in the same transaction.
pub(crate) async fn insert(
    tx: &mut Tx,
    input: UserForCreate,
    actor: Actor<'_>,
) -> Result<User, AuthError> {
    let email = Email::parse(&input.email)?;
    let display_name = input.display_name.trim().to_string();
    if display_name.chars().count() > 100 {
        return Err(AuthError::invalid(
            "display_name",
            "use at most 100 characters",
        ));
    }
    let hash = match &input.password {
        Some(pw) => {
            password::check_policy(pw, Some(email.as_str()))?;
            Some(password::hash(pw).await?)
        }
        None => None,
    };
    let now = now_ms();
    let user = User {
        id: new_id(),
        email: email.as_str().to_string(),
        display_name,
        password_hash: hash,
        role: input.role,
        tier: "free".into(),
        disabled: false,
        email_verified: actor.confirms_email(),
        created_at: now,
        last_login_at: None,
    };
    let res = sqlx::query(
        "INSERT INTO users (id, email, display_name, password_hash, role, disabled, created_at, updated_at, \
         email_verified_at) VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7)",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.password_hash)
    .bind(user.role.as_str())
    .bind(now)
    .bind(actor.confirms_email().then_some(now))
    .execute(&mut **tx)
    .await;
    if let Err(e) = res {
        let e = ops_db::DbError::from(e);
        return Err(if e.is_unique_violation() {
            AuthError::Invalid {
                field: "email",
                message: "a user with this email already exists".into(),
            }
        } else {
            e.into()
        });
    }
    let detail = match actor {
        Actor::Sso { provider, .. } => format!("role={} via=sso:{provider}", user.role),
        _ => format!("role={} via={}", user.role, actor.as_str()),
    };
    let base = match actor {
        Actor::Admin(ctx) => ctx.audit("user.create"),
        Actor::Setup { ip }
        | Actor::SignUp { ip }
        | Actor::Invitation { ip }
        | Actor::Sso { ip, .. } => AuditRecord {
            action: "user.create",
            ip,
            ..AuditRecord::default()
        },
        Actor::Cli => AuditRecord {
            action: "user.create",
            ..AuditRecord::default()
        },
    };
    record_audit(
        tx,
        AuditRecord {
            target: Some(&user.id),
            target_label: Some(&user.email),
            detail: Some(&detail),
            ..base
        },
    )
    .await?;
    Ok(user)
}

pub async fn find_by_email(db: &Db, email: &str) -> Result<Option<User>, AuthError> {
    let sql = format!("SELECT {} FROM users WHERE email = $1", User::COLUMNS);
    let row = sqlx::query(&sql)
        .bind(email.trim().to_lowercase())
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(User::from_row).transpose()
}

pub async fn find_by_id(db: &Db, id: &str) -> Result<Option<User>, AuthError> {
    let sql = format!("SELECT {} FROM users WHERE id = $1", User::COLUMNS);
    let row = sqlx::query(&sql).bind(id).fetch_optional(db.pool()).await?;
    row.as_ref().map(User::from_row).transpose()
}

/// The caller as they see themselves (with the impersonation, when an admin acts as them).
pub async fn me(db: &Db, ctx: &AuthCtx) -> Result<Me, AuthError> {
    ctx.require(Permission::AccountRead)?;
    let user = find_by_id(db, &ctx.user_id)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(Me {
        impersonation: ctx.impersonation.clone(),
        ..user.me()
    })
}

/// Enabled administrators: setup opens (and the first admin can be created) while there are none.
pub async fn count_admins(db: &Db) -> Result<i64, AuthError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
        .fetch_one(db.pool())
        .await?;
    Ok(row.try_get("n")?)
}
