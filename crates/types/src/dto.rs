//! Request and response bodies shared by REST, server functions and the UI.
//! Timestamps are unix milliseconds (i64). Naming: `XxxForCreate` for inputs.

use serde::{Deserialize, Serialize};

use crate::Role;

/// The signed-in user as the UI and `GET /api/v1/auth/me` see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Permission names this user holds.
    pub permissions: Vec<String>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
    /// Set while an administrator is acting as this user.
    #[serde(default)]
    pub impersonation: Option<Impersonation>,
}

/// An administrator acting as another user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Impersonation {
    pub admin_id: String,
    pub admin_email: String,
    pub reason: String,
    pub started_at: i64,
    /// It ends by itself at this time (unix ms).
    pub until: i64,
}

/// `POST /api/v1/admin/users/{user_id}/impersonate/start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImpersonationForStart {
    /// Why (a ticket number, say); recorded in the audit log.
    pub reason: String,
    /// 1–60 (default 15).
    #[serde(default)]
    pub minutes: Option<i64>,
}

/// The current session, for `GET /api/v1/auth/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// `session` or `api_key`.
    pub method: String,
    pub user_id: String,
    pub created_at: Option<i64>,
    /// When the session ends if idle from now on.
    pub idle_expires_at: Option<i64>,
    /// When the session ends regardless of activity.
    pub absolute_expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginForm {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupForm {
    pub token: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyForCreate {
    pub name: String,
    /// Days until the key stops working (1–3650); absent: it does not expire.
    #[serde(default)]
    pub expires_in_days: Option<i64>,
    /// Scope the key to one of your organisations (its usage and billing go there).
    #[serde(default)]
    pub org_id: Option<String>,
    /// What the AI gateway lets this key do; absent: no limits beyond the plan's.
    #[serde(default)]
    pub limits: Option<ApiKeyLimits>,
}

/// What the AI gateway lets one API key do, beyond its plan. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyLimits {
    /// Models (public names) it may call; absent: every model its plan opens.
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    /// Most it may spend per `budget_period`, in micro-units.
    #[serde(default)]
    pub budget: Option<i64>,
    /// `day`, `week` or `month` (UTC); required with a budget.
    #[serde(default)]
    pub budget_period: Option<String>,
    /// Requests per minute.
    #[serde(default)]
    pub rpm_limit: Option<i32>,
    /// Tokens (input and output) per minute.
    #[serde(default)]
    pub tpm_limit: Option<i32>,
}

/// `POST /api/v1/api-keys/{id}/rotate`: a new secret; the old one keeps working this long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyRotate {
    /// 0 (the old key stops at once) to 10080 (a week).
    pub grace_minutes: i64,
}

/// An API key as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The public part of the key (`opc_<key id>`), enough to recognise it.
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// When it stops working; absent: never.
    pub expires_at: Option<i64>,
    /// Set once rotated: the id of the key that replaces it (this one works until `expires_at`).
    pub replaced_by: Option<String>,
    /// `active`, `expired`, or `replaced` (rotated, working until `expires_at`).
    pub status: String,
    /// The organisation the key is scoped to, if any.
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    #[serde(default)]
    pub limits: ApiKeyLimits,
    /// Spent through the gateway in the current budget period (or today, without a budget).
    #[serde(default)]
    pub spent: i64,
    /// When the budget period ends.
    #[serde(default)]
    pub budget_resets_at: Option<i64>,
}

/// Returned once, at creation: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKeyCreated {
    pub key: ApiKeyView,
    pub secret: String,
}

/// Whether the first admin still needs creating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupStatus {
    pub needs_admin: bool,
}

/// A user as an administrator lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The plan the user is on (its code).
    pub tier: String,
    pub disabled: bool,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// One signed-in browser session, as its owner (or an administrator) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionView {
    /// A handle for revoking it; not the cookie value (which is never shown).
    pub id: String,
    /// "Firefox on Linux", from the user agent.
    pub device: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    /// The session making this request.
    pub current: bool,
}

/// How many sessions a request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    pub revoked: u64,
}
