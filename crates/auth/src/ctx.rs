//! `AuthCtx`: who is calling, resolved once per request.

use ops_db::AuditRecord;
use ops_types::{Impersonation, Permission, Role};

use crate::AuthError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A browser session; `auth_at` is the sign-in time (unix ms).
    Session { auth_at: i64, session_id: String },
    /// `Authorization: Bearer <key>`.
    ApiKey { key_id: String },
}

/// The authenticated caller. Services take it first and call [`AuthCtx::require`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCtx {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub method: AuthMethod,
    pub ip: Option<String>,
    /// Set while an administrator acts as this user: who, why, until when.
    pub impersonation: Option<Impersonation>,
    /// The role requires two-factor sign-in and this account has none yet: until it is set
    /// up, only the account's own pages (`account_read`) are open.
    pub mfa_missing: bool,
}

impl AuthCtx {
    /// The one permission check.
    pub fn require(&self, permission: Permission) -> Result<(), AuthError> {
        if self.mfa_missing && permission != Permission::AccountRead {
            Err(AuthError::MfaRequired)
        } else if self.role.has(permission) {
            Ok(())
        } else {
            Err(AuthError::Forbidden(permission.as_str()))
        }
    }

    /// Refuses changes to credentials while an administrator acts as this user.
    pub fn not_impersonated(&self, what: &str) -> Result<(), AuthError> {
        match &self.impersonation {
            Some(_) => Err(AuthError::Conflict(format!(
                "an administrator acting as this user cannot {what}"
            ))),
            None => Ok(()),
        }
    }

    /// An audit record of `action` by this caller on their own account.
    pub fn audit_self<'a>(&'a self, action: &'a str) -> AuditRecord<'a> {
        AuditRecord {
            target: Some(&self.user_id),
            target_label: Some(&self.email),
            ..self.audit(action)
        }
    }

    /// An audit record of `action` by this caller (actor, impersonator and IP filled in).
    pub fn audit<'a>(&'a self, action: &'a str) -> AuditRecord<'a> {
        AuditRecord {
            actor_id: Some(&self.user_id),
            impersonator_id: self.impersonation.as_ref().map(|i| i.admin_id.as_str()),
            action,
            ip: self.ip.as_deref(),
            ..AuditRecord::default()
        }
    }
}
