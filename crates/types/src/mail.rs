//! E-mail settings and the password-reset flow.

use serde::{Deserialize, Serialize};

/// `GET /api/v1/admin/settings/smtp`: never the password, only a masked hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmtpSettings {
    pub configured: bool,
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    pub username: Option<String>,
    pub password_hint: Option<String>,
    pub from_address: String,
    pub from_name: String,
}

/// `PUT /api/v1/admin/settings/smtp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmtpSettingsForUpdate {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub security: String,
    #[serde(default)]
    pub username: Option<String>,
    /// Absent: keep the stored one; empty: remove it.
    #[serde(default)]
    pub password: Option<String>,
    pub from_address: String,
    #[serde(default)]
    pub from_name: String,
}

/// `POST /api/v1/admin/settings/smtp/test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TestMail {
    pub to: String,
}

/// `POST /api/v1/auth/forgot-password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForgotPassword {
    pub email: String,
}

/// `POST /api/v1/auth/reset-password`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResetPassword {
    pub token: String,
    pub new_password: String,
}

/// Who may create an account on the sign-in page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationSettings {
    /// `closed` (only administrators create accounts), `invite_only` (people invited to an
    /// organisation may create their account from the invitation) or `open` (anyone may sign
    /// up, as a viewer).
    pub mode: String,
}

/// `POST /api/v1/auth/register`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    pub email: String,
    #[serde(default)]
    pub display_name: String,
    pub password: String,
}

/// `POST /api/v1/auth/verify-email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VerifyEmail {
    pub token: String,
}
