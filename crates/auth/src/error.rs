//! Errors of the identity services, each with a stable code.

use ops_db::DbError;
use ops_types::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("sign in first")]
    Unauthenticated,
    #[error("the API key is not valid")]
    InvalidApiKey,
    #[error("the session has expired; sign in again")]
    SessionExpired,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("your role does not allow `{0}`")]
    Forbidden(&'static str),
    /// Refused for a reason other than the role; the message says why, in full.
    #[error("{0}")]
    Refused(&'static str),
    #[error("too many failed sign-ins; try again in {retry_after} s")]
    RateLimited { retry_after: u64 },
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the setup link is unknown, used or expired")]
    SetupTokenInvalid,
    #[error("your role requires two-factor sign-in: set it up under Account → Security first")]
    MfaRequired,
    #[error("{0}")]
    Unavailable(String),
    #[error("confirm your e-mail address first: follow the link we sent you")]
    EmailUnverified,
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for AuthError {
    fn from(e: sqlx::Error) -> Self {
        AuthError::Db(DbError::from(e))
    }
}

impl AuthError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        AuthError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            AuthError::Unauthenticated | AuthError::InvalidApiKey | AuthError::SessionExpired => {
                ErrorCode::Unauthenticated
            }
            AuthError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AuthError::Forbidden(_) | AuthError::Refused(_) => ErrorCode::Forbidden,
            AuthError::RateLimited { .. } => ErrorCode::RateLimited,
            AuthError::Invalid { .. } => ErrorCode::Validation,
            AuthError::NotFound(_) => ErrorCode::NotFound,
            AuthError::Conflict(_) => ErrorCode::Conflict,
            AuthError::SetupTokenInvalid => ErrorCode::SetupTokenInvalid,
            AuthError::MfaRequired => ErrorCode::MfaRequired,
            AuthError::Unavailable(_) => ErrorCode::Unavailable,
            AuthError::EmailUnverified => ErrorCode::EmailUnverified,
            AuthError::Db(_) | AuthError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        let code = e.code();
        match e {
            AuthError::Db(_) | AuthError::Internal(_) => {
                // The cause goes to the log (inside the request's span, which carries its id);
                // the client sees only the code.
                tracing::error!(error = %e, "internal error");
                ApiError::internal()
            }
            AuthError::Invalid { field, message } => ApiError::field(code, field, message),
            AuthError::RateLimited { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(code, e.to_string())
            },
            other => ApiError::new(code, other.to_string()),
        }
    }
}
