//! The stable error catalogue. `ErrorCode` names are part of the API: clients match on them.
//! `ApiError` is the one error type of REST responses and server functions.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body or a parameter is malformed (bad JSON, wrong type).
    BadRequest,
    /// A field failed validation.
    Validation,
    /// No valid credentials.
    Unauthenticated,
    /// Wrong email or password.
    InvalidCredentials,
    /// Authenticated, but the role lacks the permission.
    Forbidden,
    /// A cookie-authenticated change came from another origin.
    CrossOrigin,
    NotFound,
    Conflict,
    /// Too many attempts; see `Retry-After`.
    RateLimited,
    /// The setup link is unknown, used or expired.
    SetupTokenInvalid,
    /// The role requires two-factor sign-in and this account has not set it up yet.
    MfaRequired,
    /// A self-registered account whose e-mail address is not confirmed yet.
    EmailUnverified,
    /// Not enough credits for what was asked; the message names the amounts.
    InsufficientCredits,
    /// The plan does not include this service or feature; `limit` may say more.
    PlanRequired,
    /// A plan's allowance for the period is used up; `limit` says which, how much was used and
    /// when it resets.
    QuotaExceeded,
    /// The card was declined or needs its holder (Stripe's message says why).
    PaymentFailed,
    /// The payment processor could not be reached or answered badly.
    Upstream,
    /// Something failed on our side; details are in the log under the request id.
    Internal,
    Unavailable,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Validation => 422,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden
            | ErrorCode::CrossOrigin
            | ErrorCode::SetupTokenInvalid
            | ErrorCode::MfaRequired
            | ErrorCode::EmailUnverified => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::InsufficientCredits | ErrorCode::PlanRequired | ErrorCode::PaymentFailed => {
                402
            }
            ErrorCode::RateLimited | ErrorCode::QuotaExceeded => 429,
            ErrorCode::Internal => 500,
            ErrorCode::Upstream => 502,
            ErrorCode::Unavailable => 503,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Validation => "validation",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CrossOrigin => "cross_origin",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::SetupTokenInvalid => "setup_token_invalid",
            ErrorCode::MfaRequired => "mfa_required",
            ErrorCode::EmailUnverified => "email_unverified",
            ErrorCode::InsufficientCredits => "insufficient_credits",
            ErrorCode::PlanRequired => "plan_required",
            ErrorCode::QuotaExceeded => "quota_exceeded",
            ErrorCode::PaymentFailed => "payment_failed",
            ErrorCode::Upstream => "upstream",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

/// An error as clients see it. 5xx messages are generic: the cause is logged, not sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Seconds to wait, for `rate_limited`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// For refusals by a plan: the allowance that fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Box<crate::Limit>>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            field: None,
            request_id: None,
            retry_after: None,
            limit: None,
        }
    }

    /// A validation error on one named field.
    pub fn field(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            field: Some(field.into()),
            ..ApiError::new(code, message)
        }
    }

    pub fn unauthenticated() -> Self {
        ApiError::new(ErrorCode::Unauthenticated, "sign in first")
    }

    pub fn internal() -> Self {
        ApiError::new(ErrorCode::Internal, "internal error")
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(m)
            | ServerFnErrorErr::MissingArg(m)
            | ServerFnErrorErr::Deserialization(m) => ApiError::new(ErrorCode::BadRequest, m),
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => ApiError::new(
                ErrorCode::Unavailable,
                "the server could not be reached; check your connection",
            ),
            _ => ApiError::internal(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_names() {
        for code in [
            ErrorCode::BadRequest,
            ErrorCode::RateLimited,
            ErrorCode::SetupTokenInvalid,
        ] {
            let json = format!("\"{}\"", code.as_str());
            assert_eq!(
                serde_json_like(code),
                json,
                "serde name must equal as_str for {code:?}"
            );
        }
    }

    fn serde_json_like(code: ErrorCode) -> String {
        // Avoid a serde_json dependency in this wasm-safe crate: round-trip through the
        // server_fn JSON codec instead.
        let err = ApiError::new(code, "m");
        let bytes = err.ser();
        let text = String::from_utf8(bytes.to_vec()).unwrap();
        let start = text.find("\"code\":").unwrap() + 7;
        let rest = &text[start..];
        rest[..rest.find(',').unwrap()].to_string()
    }

    #[test]
    fn error_round_trips_through_the_server_fn_codec() {
        let err = ApiError::field(ErrorCode::Validation, "email", "not an email");
        let back = ApiError::de(err.ser());
        assert_eq!(back, err);
        assert_eq!(back.status(), 422);
    }
}
