//! The HTTP edge of identity, shared by REST handlers and server functions: the resolved
//! caller stored by the auth middleware, the state-free `AuthCtx` extractor, the client IP,
//! and `HttpError`, the error type of every handler.

use axum_core::extract::FromRequestParts;
use axum_core::response::{IntoResponse, Response};
use http::request::Parts;
use ops_types::ApiError;

use crate::AuthCtx;

/// What the auth middleware found, once per request. Never missing after the middleware.
#[derive(Debug, Clone)]
pub struct Resolved(pub Result<AuthCtx, ApiError>);

/// The client's IP as the middleware determined it (peer address or trusted proxy header).
#[derive(Debug, Clone, Default)]
pub struct ClientIp(pub Option<String>);

/// A handler error. The response carries the `ApiError` in its extensions; the server's
/// response middleware renders the JSON envelope with the request id and logs 5xx causes.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status = http::StatusCode::from_u16(self.0.status())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = status.into_response();
        res.extensions_mut().insert(self.0);
        res
    }
}

impl<E: Into<ApiError>> From<E> for HttpError {
    fn from(e: E) -> Self {
        HttpError(e.into())
    }
}

/// The caller, or the reason there is none.
pub fn from_parts(parts: &Parts) -> Result<AuthCtx, ApiError> {
    parts
        .extensions
        .get::<Resolved>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| Err(ApiError::unauthenticated()))
}

pub fn client_ip(parts: &Parts) -> Option<String> {
    parts.extensions.get::<ClientIp>().and_then(|c| c.0.clone())
}

impl<S: Send + Sync> FromRequestParts<S> for AuthCtx {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        from_parts(parts).map_err(HttpError)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}

/// Only same-site relative paths are followed after sign-in.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Printable ASCII only: browsers drop tabs and newlines from URLs, so "/<tab>/evil"
        // would become "//evil"; control bytes would also not make a valid header.
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 1000
                && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/account/profile")), "/account/profile");
        for bad in [
            "//evil.com",
            "/\t/evil.com",
            "/\\evil.com",
            "https://evil.com",
            "/\n",
            "/a b",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
