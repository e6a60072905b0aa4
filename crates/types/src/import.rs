//! Importing users from CSV: a dry run says what each row would do; the real run is a job
//! whose progress streams live and whose result report can be downloaded.

use serde::{Deserialize, Serialize};

/// What a row does (or would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    Create,
    Update,
    Skip,
    Error,
}

impl ImportAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportAction::Create => "create",
            ImportAction::Update => "update",
            ImportAction::Skip => "skip",
            ImportAction::Error => "error",
        }
    }
}

/// One data row of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: i64,
    pub email: String,
    pub action: ImportAction,
    /// Why it is skipped or refused, or what changes.
    pub message: Option<String>,
}

/// The outcome per row and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub dry_run: bool,
    pub total: i64,
    pub create: i64,
    pub update: i64,
    pub skip: i64,
    pub error: i64,
    pub rows: Vec<ImportRow>,
}

impl ImportReport {
    pub fn of(dry_run: bool, rows: Vec<ImportRow>) -> ImportReport {
        let count = |a| rows.iter().filter(|r| r.action == a).count() as i64;
        ImportReport {
            dry_run,
            total: rows.len() as i64,
            create: count(ImportAction::Create),
            update: count(ImportAction::Update),
            skip: count(ImportAction::Skip),
            error: count(ImportAction::Error),
            rows,
        }
    }
}

/// An import run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportJob {
    pub id: String,
    /// `running`, `done` or `failed`.
    pub status: String,
    pub total: i64,
    pub done: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Present once the run has finished.
    pub report: Option<ImportReport>,
}
