//! Downloads: CSV (cells that a spreadsheet would run as formulas are defused), JSON Lines and
//! PDF.

use std::borrow::Cow;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use ops_auth::HttpError;
use ops_types::{ApiError, ErrorCode};
use serde::{Deserialize, Serialize};

/// `?format=` of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Csv,
    Jsonl,
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatParam {
    /// `csv` (default) or `jsonl`.
    pub format: Option<Format>,
}

/// A cell as text a spreadsheet shows but never evaluates (OWASP CSV injection advice):
/// a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front.
pub fn safe_cell(s: &str) -> Cow<'_, str> {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{s}")),
        _ => Cow::Borrowed(s),
    }
}

fn attachment(body: Vec<u8>, mime: &'static str, filename: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(mime)),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// A CSV download with `header` then one record per row.
pub fn csv<I>(filename: &str, header: &[&str], rows: I) -> Result<Response, HttpError>
where
    I: IntoIterator<Item = Vec<String>>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| {
        tracing::error!(error = %e, "csv export");
        HttpError(ApiError::new(ErrorCode::Internal, "the export failed"))
    };
    w.write_record(header).map_err(fail)?;
    for row in rows {
        w.write_record(row.iter().map(|c| safe_cell(c).into_owned()))
            .map_err(fail)?;
    }
    let body = w.into_inner().map_err(|e| fail(e.into_error().into()))?;
    Ok(attachment(body, "text/csv; charset=utf-8", filename))
}

/// A PDF download.
pub fn pdf(filename: &str, body: Vec<u8>) -> Response {
    attachment(body, "application/pdf", filename)
}

/// A JSON Lines download: one object per line.
pub fn jsonl<T: Serialize>(filename: &str, items: &[T]) -> Result<Response, HttpError> {
    let mut body = Vec::new();
    for item in items {
        serde_json::to_writer(&mut body, item).map_err(|e| {
            tracing::error!(error = %e, "jsonl export");
            HttpError(ApiError::new(ErrorCode::Internal, "the export failed"))
        })?;
        body.push(b'\n');
    }
    Ok(attachment(body, "application/x-ndjson", filename))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_looking_cells_are_defused() {
        assert_eq!(safe_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(safe_cell("-2+3"), "'-2+3");
        assert_eq!(safe_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(safe_cell("alice@example.com"), "alice@example.com");
    }
}
