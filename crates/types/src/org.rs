//! Organisations: membership roles, settings, members, invitations and figures.

use serde::{Deserialize, Serialize};

/// A member's role inside one organisation (distinct from the platform role).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    /// Everything, including deleting the organisation and managing owners.
    Owner,
    /// Settings, members and invitations, but not owners.
    Admin,
    /// Billing (with the Money features) and the member list.
    BillingAdmin,
    /// Uses the organisation's resources.
    Member,
}

impl OrgRole {
    /// Most powerful first.
    pub const ALL: [OrgRole; 4] = [
        OrgRole::Owner,
        OrgRole::Admin,
        OrgRole::BillingAdmin,
        OrgRole::Member,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::Owner => "owner",
            OrgRole::Admin => "admin",
            OrgRole::BillingAdmin => "billing_admin",
            OrgRole::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<OrgRole> {
        OrgRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgRole::Owner => "Owner",
            OrgRole::Admin => "Admin",
            OrgRole::BillingAdmin => "Billing admin",
            OrgRole::Member => "Member",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            OrgRole::Owner => "everything, including deleting the organisation and managing owners",
            OrgRole::Admin => "settings, members and invitations; cannot change or remove owners",
            OrgRole::BillingAdmin => "billing and the member list",
            OrgRole::Member => "uses the organisation's keys and resources",
        }
    }

    /// Settings, members and invitations.
    pub fn manages(self) -> bool {
        matches!(self, OrgRole::Owner | OrgRole::Admin)
    }
}

impl std::fmt::Display for OrgRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `GET /api/v1/org/roles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRoleInfo {
    pub role: OrgRole,
    pub label: String,
    pub description: String,
}

/// An organisation as a member (or a platform administrator) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Org {
    pub id: String,
    pub name: String,
    pub slug: String,
    pub default_role: OrgRole,
    pub join_domain: Option<String>,
    pub suspended: bool,
    pub logo_url: Option<String>,
    pub members: i64,
    /// The caller's role; `None` for a platform administrator who is not a member.
    pub my_role: Option<OrgRole>,
    /// Whether this is the caller's active organisation.
    pub active: bool,
    pub created_at: i64,
}

/// `POST /api/v1/org`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgForCreate {
    pub name: String,
    /// Derived from the name when absent.
    #[serde(default)]
    pub slug: Option<String>,
}

/// `PUT /api/v1/org/{org_id}/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgSettings {
    pub name: String,
    pub slug: String,
    pub default_role: OrgRole,
    /// People whose verified address is in this domain may join without an invitation.
    #[serde(default)]
    pub join_domain: Option<String>,
}

/// `DELETE /api/v1/org/{org_id}`: the slug typed again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgDelete {
    pub confirm: String,
}

/// `PUT /api/v1/org/{org_id}/status` (platform administrators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgStatus {
    pub suspended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgMember {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: OrgRole,
    pub joined_at: i64,
    pub last_login_at: Option<i64>,
}

/// `PUT /api/v1/org/{org_id}/members/{user_id}/role`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgRoleChange {
    pub role: OrgRole,
}

/// `POST /api/v1/org/{org_id}/invitations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInviteForCreate {
    pub email: String,
    /// The organisation's default role when absent.
    #[serde(default)]
    pub role: Option<OrgRole>,
}

/// A pending invitation (the token is only in the e-mail).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInvite {
    pub id: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Whether an account with this address exists.
    pub has_account: bool,
}

/// `GET /api/v1/org/invitations/{token}`: what the invitation page shows before accepting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInvitePreview {
    pub org_name: String,
    pub email: String,
    pub role: OrgRole,
    pub invited_by: Option<String>,
    pub expires_at: i64,
    /// An account with this address exists: sign in, then accept.
    pub has_account: bool,
    /// Whether a new account may be created from this invitation (registration not closed).
    pub can_sign_up: bool,
}

/// `POST /api/v1/org/invitations/{token}/register`: a new account from an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgInviteSignUp {
    #[serde(default)]
    pub display_name: String,
    pub password: String,
}

/// `GET /api/v1/org/{org_id}/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgStats {
    pub members: i64,
    pub by_role: Vec<crate::Count>,
    pub pending_invites: i64,
    pub api_keys: i64,
}

/// One organisation a user belongs to (the administrator's view of a user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgMembership {
    pub org_id: String,
    pub org_name: String,
    pub role: OrgRole,
}

/// `POST /api/v1/users/me/switch-org`: `None` switches to personal use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SwitchOrg {
    pub org_id: Option<String>,
}
