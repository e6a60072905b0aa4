//! Errors of the money services, each with a stable code.

use ops_auth::AuthError;
use ops_db::DbError;
use ops_types::{ApiError, ErrorCode, Limit};

#[derive(Debug, thiserror::Error)]
pub enum BillingError {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("not enough credits: {needed} micro-units needed, {available} available")]
    Insufficient { needed: i64, available: i64 },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    /// A request that cannot be taken as it is (a webhook with a bad signature, say).
    #[error("{0}")]
    Rejected(String),
    /// A plan refused: the service is not included, or an allowance is used up.
    #[error("{message}")]
    Refused {
        code: ErrorCode,
        message: String,
        limit: Option<Limit>,
        retry_after: Option<u64>,
    },
    /// Stripe could not be reached, or answered with something we cannot read.
    #[error("{0}")]
    Upstream(String),
    #[error("database: {0}")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for BillingError {
    fn from(e: sqlx::Error) -> Self {
        BillingError::Db(DbError::from(e))
    }
}

impl BillingError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        BillingError::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<BillingError> for ApiError {
    fn from(e: BillingError) -> ApiError {
        match e {
            BillingError::Auth(a) => a.into(),
            // Two requests racing to make the same row: the loser's transaction is rolled back.
            BillingError::Db(d) if d.is_unique_violation() => ApiError::new(
                ErrorCode::Conflict,
                "another request made the same change at the same moment; nothing was done by this one, try again",
            ),
            BillingError::Db(d) => AuthError::Db(d).into(),
            BillingError::Invalid { field, message } => {
                ApiError::field(ErrorCode::Validation, field, message)
            }
            BillingError::Insufficient { .. } => {
                ApiError::new(ErrorCode::InsufficientCredits, e.to_string())
            }
            BillingError::NotFound(_) => ApiError::new(ErrorCode::NotFound, e.to_string()),
            BillingError::Conflict(m) => ApiError::new(ErrorCode::Conflict, m),
            BillingError::Rejected(m) => ApiError::new(ErrorCode::BadRequest, m),
            BillingError::Upstream(m) => ApiError::new(ErrorCode::Upstream, m),
            BillingError::Refused {
                code,
                message,
                limit,
                retry_after,
            } => ApiError {
                limit: limit.map(Box::new),
                retry_after,
                ..ApiError::new(code, message)
            },
        }
    }
}
