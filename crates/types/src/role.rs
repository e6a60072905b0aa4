//! Platform roles and the one permission table. Services call `AuthCtx::require(Permission)`;
//! the table below is the only place that says which role holds which permission.

use serde::{Deserialize, Serialize};

/// A platform-wide role. Ordered from most to least privileged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Moderator,
    Developer,
    Analyst,
    Viewer,
}

/// Something a caller may be allowed to do. Names are stable: they appear in the OpenAPI
/// document as security scopes and in audit rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read one's own account: profile, session, API keys.
    AccountRead,
    /// Change one's own account: create and revoke one's own API keys.
    AccountWrite,
    /// Read live system metrics.
    SystemRead,
    /// List users.
    UsersRead,
    /// Create, change and delete users.
    UsersManage,
    /// Read the audit log.
    AuditRead,
    /// Change platform settings (outgoing e-mail, sign-in options).
    SettingsManage,
    /// Move money: grant and deduct credits, check the ledger.
    BillingManage,
    /// Call the AI gateway's model endpoints with one's own API keys.
    GatewayUse,
    /// Configure the AI gateway: providers, models, prices, routing; see all its traffic.
    GatewayManage,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Moderator,
        Role::Developer,
        Role::Analyst,
        Role::Viewer,
    ];

    /// The permission table.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::Admin => &Permission::ALL,
            Role::Moderator => &[AccountRead, AccountWrite, SystemRead, UsersRead, GatewayUse],
            Role::Developer => &[AccountRead, AccountWrite, SystemRead, GatewayUse],
            Role::Analyst => &[AccountRead, AccountWrite, SystemRead, AuditRead, GatewayUse],
            Role::Viewer => &[AccountRead, SystemRead, GatewayUse],
        }
    }

    pub fn has(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Moderator => "moderator",
            Role::Developer => "developer",
            Role::Analyst => "analyst",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Moderator => "Moderator",
            Role::Developer => "Developer",
            Role::Analyst => "Analyst",
            Role::Viewer => "Viewer",
        }
    }
}

impl Permission {
    pub const ALL: [Permission; 10] = [
        Permission::AccountRead,
        Permission::AccountWrite,
        Permission::SystemRead,
        Permission::UsersRead,
        Permission::UsersManage,
        Permission::AuditRead,
        Permission::SettingsManage,
        Permission::BillingManage,
        Permission::GatewayUse,
        Permission::GatewayManage,
    ];

    /// The stable name, e.g. `system_read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::AccountRead => "account_read",
            Permission::AccountWrite => "account_write",
            Permission::SystemRead => "system_read",
            Permission::UsersRead => "users_read",
            Permission::UsersManage => "users_manage",
            Permission::AuditRead => "audit_read",
            Permission::SettingsManage => "settings_manage",
            Permission::BillingManage => "billing_manage",
            Permission::GatewayUse => "gateway_use",
            Permission::GatewayManage => "gateway_manage",
        }
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// What it allows, in words, for the console.
    pub fn description(self) -> &'static str {
        match self {
            Permission::AccountRead => "See one's own profile, sessions, keys and notifications",
            Permission::AccountWrite => "Create, rotate and revoke one's own API keys",
            Permission::SystemRead => "See the live system metrics",
            Permission::UsersRead => "List users and organisations",
            Permission::UsersManage => {
                "Create, change, suspend, delete and impersonate users; manage organisations"
            }
            Permission::AuditRead => "Read and export the audit log",
            Permission::SettingsManage => "Change platform settings: e-mail, sign-in, SSO",
            Permission::BillingManage => "Grant and deduct credits; check the ledger",
            Permission::GatewayUse => "Call the AI models with one's own API keys",
            Permission::GatewayManage => {
                "Configure AI providers, models, prices and routing; see all gateway traffic"
            }
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Permission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_holds_every_permission() {
        for p in Permission::ALL {
            assert!(Role::Admin.has(p), "{p}");
        }
    }

    #[test]
    fn table_is_what_the_docs_say() {
        // (role, permission, allowed)
        let rows = [
            (Role::Viewer, Permission::AccountWrite, false),
            (Role::Viewer, Permission::SystemRead, true),
            (Role::Developer, Permission::AccountWrite, true),
            (Role::Developer, Permission::UsersRead, false),
            (Role::Analyst, Permission::AuditRead, true),
            (Role::Moderator, Permission::UsersRead, true),
            (Role::Moderator, Permission::UsersManage, false),
        ];
        for (role, perm, allowed) in rows {
            assert_eq!(role.has(perm), allowed, "{role} {perm}");
        }
    }

    #[test]
    fn names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Some(p));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
