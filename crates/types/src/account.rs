//! The caller's own account: profile, password change, notification preferences.

use serde::{Deserialize, Serialize};

use crate::Role;

/// `GET /api/v1/auth/profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub bio: String,
    /// BCP 47 language tag, e.g. `en` or `pt-BR`.
    pub locale: String,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Where the avatar image is served; absent when none was uploaded.
    pub avatar_url: Option<String>,
    pub role: Role,
    /// False for accounts that sign in only through SSO.
    pub has_password: bool,
    pub password_changed_at: Option<i64>,
    pub created_at: i64,
}

/// `PUT /api/v1/auth/profile`: the editable fields, all replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfileForUpdate {
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    pub locale: String,
    pub timezone: String,
}

/// `POST /api/v1/auth/change-password`. Other sessions are ended when it succeeds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    /// Required when the account has a password.
    #[serde(default)]
    pub current_password: String,
    pub new_password: String,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Sign-ins from new devices, password and MFA changes.
    Security,
    /// API keys created or about to expire, organisation invitations.
    Account,
    /// Invoices, failed payments, low credit balance.
    Billing,
    /// Quotas nearly used up.
    Usage,
    /// Alerts about the platform (administrators).
    System,
    /// Product news.
    Product,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 6] = [
        NotificationKind::Security,
        NotificationKind::Account,
        NotificationKind::Billing,
        NotificationKind::Usage,
        NotificationKind::System,
        NotificationKind::Product,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Security => "security",
            NotificationKind::Account => "account",
            NotificationKind::Billing => "billing",
            NotificationKind::Usage => "usage",
            NotificationKind::System => "system",
            NotificationKind::Product => "product",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationKind> {
        NotificationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Security => "Security",
            NotificationKind::Account => "Account",
            NotificationKind::Billing => "Billing",
            NotificationKind::Usage => "Usage and quotas",
            NotificationKind::System => "System alerts",
            NotificationKind::Product => "Product news",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            NotificationKind::Security => "New sign-ins, password and two-factor changes",
            NotificationKind::Account => "API keys, invitations and organisation changes",
            NotificationKind::Billing => "Invoices, failed payments and low balance",
            NotificationKind::Usage => "When a quota is nearly used up",
            NotificationKind::System => "Platform alerts (administrators)",
            NotificationKind::Product => "New features and announcements",
        }
    }

    /// (email, in-app, webhook) before the user chooses.
    pub fn default_channels(self) -> (bool, bool, bool) {
        match self {
            NotificationKind::Security | NotificationKind::Billing => (true, true, false),
            NotificationKind::Product => (false, false, false),
            _ => (false, true, false),
        }
    }
}

/// The channels chosen for one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPref {
    pub kind: NotificationKind,
    pub email: bool,
    pub in_app: bool,
    pub webhook: bool,
}

/// `GET/PUT /api/v1/auth/notifications`: every kind, and the webhook address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationPrefs {
    /// An `https://` (or loopback `http://`) URL that receives a JSON POST per notification,
    /// signed as Standard Webhooks describe (`webhook-id`, `webhook-timestamp` and
    /// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` headers).
    pub webhook_url: Option<String>,
    /// The masked signing secret (read-only; none until a webhook address is set).
    #[serde(default)]
    pub webhook_secret_hint: Option<String>,
    /// The signing secret in full, only in the answer to the request that created it (the first
    /// time an address is set). Ignored on input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_webhook_secret: Option<String>,
    pub prefs: Vec<NotificationPref>,
}

/// `POST /api/v1/auth/notifications/webhook-secret`: a new signing secret, shown this once.
/// The previous one stops signing at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookSecret {
    /// `whsec_` followed by the base64 of 24 random bytes.
    pub secret: String,
    pub hint: String,
}

/// One in-app notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationView {
    pub id: String,
    /// A `NotificationKind` name.
    pub kind: String,
    pub title: String,
    pub body: String,
    /// A console path to open.
    pub link: Option<String>,
    pub created_at: i64,
    pub read: bool,
}

/// `GET /api/v1/notifications`: the latest in-app notifications and the unread count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Inbox {
    pub unread: i64,
    pub items: Vec<NotificationView>,
}
