//! The audit log as the API and the console read it.

use serde::{Deserialize, Serialize};

/// One audit row, with names resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEvent {
    pub id: String,
    /// Position in the hash chain (1, 2, 3…).
    pub seq: i64,
    pub at: i64,
    pub actor_id: Option<String>,
    /// The actor's current email, when the actor is a user that still exists.
    pub actor_email: Option<String>,
    pub actor_name: Option<String>,
    /// Set when an administrator acted as `actor_id` (impersonation).
    pub impersonator_id: Option<String>,
    pub impersonator_email: Option<String>,
    pub action: String,
    pub target: Option<String>,
    /// The target's name when the event was written (an email, a key name…).
    pub target_label: Option<String>,
    pub org_id: Option<String>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// An organisation that appears in the audit log, for the console's filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditOrg {
    pub id: String,
    /// `None` once the organisation is deleted.
    pub name: Option<String>,
}

/// Filters for `GET /api/v1/audit/logs` and the export. All optional; combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(default)]
pub struct AuditQuery {
    /// A user id, or part of the actor's (or impersonator's) email.
    pub actor: Option<String>,
    /// An action, or a prefix ending in `.` (e.g. `user.`).
    pub action: Option<String>,
    /// A target id, or part of its recorded name.
    pub target: Option<String>,
    /// A user id: events by them, about them, or done while acting as them.
    pub subject: Option<String>,
    pub org_id: Option<String>,
    pub ip: Option<String>,
    /// From this time (unix ms, inclusive).
    pub from: Option<i64>,
    /// Until this time (unix ms, exclusive).
    pub to: Option<i64>,
    /// Page backwards: only events with a smaller `seq` (use the previous page's `next_before`).
    pub before: Option<i64>,
    /// Page size, 1–500 (default 100).
    pub limit: Option<i64>,
}

/// One page of events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

/// A name and how often it occurs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub count: i64,
}

/// Figures over the events matching a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditStats {
    pub total: i64,
    /// Failed sign-ins among them.
    pub failed_logins: i64,
    pub distinct_actors: i64,
    /// The most frequent actions, most first (at most 20).
    pub by_action: Vec<Count>,
    /// Events per UTC day (`YYYY-MM-DD`), oldest first.
    pub by_day: Vec<Count>,
}

/// The result of walking the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditVerify {
    pub intact: bool,
    /// Rows checked before the walk ended.
    pub checked: u64,
    /// Where the first broken link is, when there is one.
    pub broken_at_seq: Option<i64>,
    pub broken_id: Option<String>,
    pub reason: Option<String>,
}
