//! `ApiJson<T>`: a JSON body extractor whose errors name the offending field.
//! Syntax errors are 400 `bad_request`; a missing field or a wrong type is 422 `validation`
//! with `field` set.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use ops_auth::HttpError;
use ops_types::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|ct| ct.split(';').next())
            .map(|mime| mime.trim().to_ascii_lowercase())
            .is_some_and(|mime| {
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            });
        if !is_json {
            return Err(HttpError(ApiError::new(
                ErrorCode::BadRequest,
                "send the body as JSON with Content-Type: application/json",
            )));
        }
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| HttpError(ApiError::new(ErrorCode::BadRequest, e.body_text())))?;
        parse(&bytes).map(ApiJson).map_err(HttpError)
    }
}

pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(ErrorCode::BadRequest, format!("malformed JSON: {inner}"));
        }
        let field = if path == "." {
            missing_field(&inner.to_string())
        } else {
            Some(path)
        };
        match field {
            Some(f) => ApiError::field(ErrorCode::Validation, f.clone(), format!("{f}: {inner}")),
            None => ApiError::new(ErrorCode::Validation, inner.to_string()),
        }
    })
}

/// serde reports a missing field at the parent path; pull its name out of the message.
fn missing_field(message: &str) -> Option<String> {
    let start = message.find("missing field `")? + "missing field `".len();
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_types::LoginForm;

    #[test]
    fn errors_name_the_field() {
        let e = parse::<LoginForm>(br#"{"email": 5, "password": "x"}"#).unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Validation, Some("email"))
        );
        let e = parse::<LoginForm>(br#"{"email": "a@b.c"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("password"));
        let e = parse::<LoginForm>(br#"{"email": "#).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest);
    }
}
