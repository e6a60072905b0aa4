//! Two-factor sign-in (TOTP and recovery codes).

use serde::{Deserialize, Serialize};

use crate::Role;

/// `GET /api/v1/auth/mfa`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaStatus {
    pub totp_enabled: bool,
    pub enabled_at: Option<i64>,
    pub recovery_codes_left: i64,
    /// The account's role requires two-factor sign-in.
    pub required: bool,
}

/// A started enrolment: scan `qr_svg` (or type `secret`), then confirm with a code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpSetup {
    /// Base32, for typing into an app by hand.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as an SVG QR code.
    pub qr_svg: String,
}

/// A 6-digit code from the app, or a recovery code where allowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaCode {
    pub code: String,
}

/// Recovery codes: shown once, each works once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

/// The answer to a correct password when a second factor is needed (HTTP 202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaChallenge {
    pub mfa_required: bool,
    /// `totp` and `recovery_code`.
    pub methods: Vec<String>,
}

/// Which roles must use two-factor sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MfaPolicy {
    pub required_roles: Vec<Role>,
}
