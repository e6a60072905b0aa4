//! `ApiQuery<T>`: a query-string extractor whose errors name the offending parameter
//! (422 `validation` with `field`), like `ApiJson` does for bodies.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ops_auth::HttpError;
use ops_types::{ApiError, ErrorCode};
use serde::de::DeserializeOwned;

pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parse(parts.uri.query().unwrap_or(""))
            .map(ApiQuery)
            .map_err(HttpError)
    }
}

pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if path == "." {
            ApiError::new(ErrorCode::Validation, format!("query string: {inner}"))
        } else {
            ApiError::field(
                ErrorCode::Validation,
                path.clone(),
                format!("{path}: {inner}"),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ops_types::AuditQuery;

    #[test]
    fn errors_name_the_parameter() {
        let e = parse::<AuditQuery>("actor=a&from=yesterday").unwrap_err();
        assert_eq!(
            (e.code, e.field.as_deref()),
            (ErrorCode::Validation, Some("from"))
        );
        let q = parse::<AuditQuery>("action=user.&limit=5").unwrap();
        assert_eq!((q.action.as_deref(), q.limit), (Some("user."), Some(5)));
    }
}
