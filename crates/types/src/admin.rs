//! User administration: the list query, a page of users, detail, create/update inputs, bulk
//! actions, role catalogue and figures.

use serde::{Deserialize, Serialize};

use crate::{Count, Role, UserView};

/// Filters, sort and page for `GET /api/v1/admin/users` and its CSV export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default)]
pub struct UserQuery {
    /// Part of the email or display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    /// `active` or `suspended`.
    pub status: Option<String>,
    /// Created at or after (unix ms).
    pub created_from: Option<i64>,
    /// Created before (unix ms).
    pub created_to: Option<i64>,
    /// Last signed in at or after (unix ms).
    pub login_from: Option<i64>,
    /// Last signed in before (unix ms); `never` users are excluded.
    pub login_to: Option<i64>,
    /// Only users who never signed in.
    pub never_signed_in: Option<bool>,
    /// Signs in through this SSO provider (its slug); `none`: through none.
    pub provider: Option<String>,
    /// Member of this organisation (its id).
    pub org: Option<String>,
    /// On this plan (its code).
    pub tier: Option<String>,
    /// `email`, `name`, `created_at` (default) or `last_login_at`.
    pub sort: Option<String>,
    /// `asc` or `desc` (default).
    pub dir: Option<String>,
    /// 1-based page number (default 1).
    pub page: Option<i64>,
    /// Rows per page, 1–200 (default 50).
    pub per_page: Option<i64>,
}

/// One page of users and how many match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    pub users: Vec<UserView>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// Everything an administrator sees about one user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDetail {
    pub user: UserView,
    pub bio: String,
    pub locale: String,
    pub timezone: String,
    pub avatar_url: Option<String>,
    pub has_password: bool,
    pub password_changed_at: Option<i64>,
    pub active_sessions: i64,
    pub active_api_keys: i64,
    /// Two-factor sign-in is on.
    pub mfa_enabled: bool,
    /// Permission names the role grants.
    pub permissions: Vec<String>,
    /// Single sign-on identities linked to the account.
    pub identities: Vec<crate::LinkedIdentity>,
    /// Organisations the user belongs to, with their role there.
    pub orgs: Vec<crate::OrgMembership>,
}

/// `POST /api/v1/admin/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUserForCreate {
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub role: Role,
    /// An initial password; absent when `send_invite` mails a link to choose one.
    #[serde(default)]
    pub password: Option<String>,
    /// E-mail a link (valid a week) with which the user sets their own password.
    #[serde(default)]
    pub send_invite: bool,
}

/// `PUT /api/v1/admin/users/{user_id}`: fields to change (absent ones stay).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminUserForUpdate {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// A plan code from `GET /api/v1/admin/users/tiers`.
    #[serde(default)]
    pub tier: Option<String>,
}

/// What deleting a user removed and what it kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserDeleted {
    pub id: String,
    pub email: String,
    pub sessions_ended: i64,
    pub api_keys_deleted: i64,
    /// Audit events about or by the user stay, with their id and the email they had.
    pub audit_events_kept: i64,
}

/// A bulk action over selected users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkUsers {
    /// 1–1000 user ids.
    pub ids: Vec<String>,
    /// For `assign-roles`: the new role.
    #[serde(default)]
    pub role: Option<Role>,
    /// For `set-tier`: the plan code.
    #[serde(default)]
    pub tier: Option<String>,
}

/// A tier (plan) users can be on, and how many are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tier {
    pub code: String,
    pub name: String,
    pub users: i64,
}

/// Per-user outcome of a bulk action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkOutcome {
    pub id: String,
    pub ok: bool,
    /// Why it was skipped or failed.
    pub message: Option<String>,
}

/// A role in the catalogue: its rank (0 = most privileged) and what it grants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleInfo {
    pub role: Role,
    pub label: String,
    pub rank: usize,
    pub permissions: Vec<String>,
}

/// Figures over all users.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserAnalytics {
    pub total: i64,
    pub active: i64,
    pub suspended: i64,
    pub never_signed_in: i64,
    pub by_role: Vec<Count>,
    /// Users per SSO provider (slug), and `password` for those linked to none.
    pub by_provider: Vec<Count>,
    /// Users per tier (plan code).
    pub by_tier: Vec<Count>,
    /// Sign-ups per UTC day over the last 90 days, oldest first (days without any omitted).
    pub signups_by_day: Vec<Count>,
}
