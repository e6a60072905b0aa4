//! Gateway errors, rendered the way each client family expects: OpenAI's envelope
//! `{"error":{message,type,param,code}}` on the OpenAI surface, Anthropic's
//! `{"type":"error","error":{type,message}}` on `/v1/messages`; `Retry-After` on 429.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use ops_billing::BillingError;
use ops_types::ErrorCode;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request cannot be read or names a bad parameter.
    #[error("{message}")]
    Invalid {
        param: Option<&'static str>,
        message: String,
    },
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    ModelNotFound(String),
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    /// A plan, budget or balance refused: 402 or 429.
    #[error("{message}")]
    Refused {
        status: u16,
        code: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    /// The upstream refused the request itself (its 4xx), passed on as it said.
    #[error("{message}")]
    Client { status: u16, message: String },
    /// No deployment could serve the request.
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Internal(String),
}

impl GatewayError {
    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        GatewayError::Invalid {
            param: Some(param),
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            GatewayError::Invalid { .. } => 400,
            GatewayError::Unauthenticated(_) => 401,
            GatewayError::Forbidden(_) => 403,
            GatewayError::ModelNotFound(_) => 404,
            GatewayError::TooLarge(_) => 413,
            GatewayError::Refused { status, .. } | GatewayError::Client { status, .. } => *status,
            GatewayError::Upstream(_) => 502,
            GatewayError::Internal(_) => 500,
        }
    }

    /// Our stable code (the request log's `error_code`).
    pub fn code(&self) -> &'static str {
        match self {
            GatewayError::Invalid { .. } => "invalid_request",
            GatewayError::Unauthenticated(_) => "invalid_api_key",
            GatewayError::Forbidden(_) => "model_not_allowed",
            GatewayError::ModelNotFound(_) => "model_not_found",
            GatewayError::TooLarge(_) => "request_too_large",
            GatewayError::Refused { code, .. } => code,
            GatewayError::Client { .. } => "upstream_rejected",
            GatewayError::Upstream(_) => "upstream_error",
            GatewayError::Internal(_) => "internal_error",
        }
    }

    fn openai_type(&self) -> &'static str {
        match self {
            GatewayError::Unauthenticated(_) => "authentication_error",
            GatewayError::Forbidden(_) => "permission_error",
            GatewayError::Refused { status: 402, .. } => "insufficient_quota",
            GatewayError::Refused { .. } => "rate_limit_error",
            GatewayError::Upstream(_) | GatewayError::Internal(_) => "api_error",
            _ => "invalid_request_error",
        }
    }

    fn anthropic_type(&self) -> &'static str {
        match self.status() {
            401 => "authentication_error",
            402 => "billing_error",
            403 => "permission_error",
            404 => "not_found_error",
            413 => "request_too_large",
            429 => "rate_limit_error",
            500 => "api_error",
            502..=599 => "overloaded_error",
            _ => "invalid_request_error",
        }
    }

    /// Internal causes are logged, never shown.
    fn public_message(&self) -> String {
        match self {
            GatewayError::Internal(cause) => {
                tracing::error!(%cause, "gateway internal error");
                "the gateway failed to handle this request".into()
            }
            e => e.to_string(),
        }
    }

    fn finish(&self, body: serde_json::Value) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::BAD_GATEWAY);
        let mut res = (status, axum::Json(body)).into_response();
        if let GatewayError::Refused {
            retry_after: Some(secs),
            ..
        } = self
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.status() == 401 {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ops-center\""),
            );
        }
        res
    }

    /// OpenAI's error envelope.
    pub fn openai(&self) -> Response {
        let param = match self {
            GatewayError::Invalid { param, .. } => *param,
            GatewayError::ModelNotFound(_) | GatewayError::Forbidden(_) => Some("model"),
            _ => None,
        };
        self.finish(json!({"error": {
            "message": self.public_message(),
            "type": self.openai_type(),
            "param": param,
            "code": self.code(),
        }}))
    }

    /// Anthropic's error shape.
    pub fn anthropic(&self) -> Response {
        self.finish(json!({"type": "error", "error": {
            "type": self.anthropic_type(),
            "message": self.public_message(),
        }}))
    }
}

impl From<BillingError> for GatewayError {
    fn from(e: BillingError) -> Self {
        match e {
            BillingError::Refused {
                code,
                message,
                retry_after,
                ..
            } => GatewayError::Refused {
                status: code.status(),
                code: code.as_str(),
                message,
                retry_after,
            },
            BillingError::Insufficient { .. } => GatewayError::Refused {
                status: 402,
                code: ErrorCode::InsufficientCredits.as_str(),
                message: e.to_string(),
                retry_after: None,
            },
            e => GatewayError::Internal(e.to_string()),
        }
    }
}

impl From<ops_db::DbError> for GatewayError {
    fn from(e: ops_db::DbError) -> Self {
        GatewayError::Internal(e.to_string())
    }
}

impl From<sqlx::Error> for GatewayError {
    fn from(e: sqlx::Error) -> Self {
        GatewayError::Internal(e.to_string())
    }
}

impl From<ops_auth::AuthError> for GatewayError {
    fn from(e: ops_auth::AuthError) -> Self {
        GatewayError::Internal(e.to_string())
    }
}
