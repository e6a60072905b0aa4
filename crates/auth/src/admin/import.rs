//! Importing users from CSV (`email`, optional `display_name`, `role`, `password`; at most
//! 10,000 rows). The dry run plans every row — create, update, skip or error with the reason —
//! and changes nothing. The real run plans again (the data may have changed), then applies the
//! plan as a background job, one transaction per row, recording progress in `import_jobs` so
//! any replica can report it; the finished report is kept for download.

use std::collections::HashMap;

use ops_db::{AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_types::{ImportAction, ImportJob, ImportReport, ImportRow, Permission, Role};

use super::change;
use crate::users::{self, Actor, Email, UserForCreate};
use crate::{AuthCtx, AuthError, password};

pub const MAX_ROWS: usize = 10_000;

/// A row and what to do with it.
#[derive(Debug, Clone)]
struct Planned {
    row: ImportRow,
    display_name: Option<String>,
    role: Role,
    password: Option<String>,
    /// The existing user, for updates.
    user_id: Option<String>,
}

struct Raw {
    line: i64,
    email: String,
    name: Option<String>,
    role: Option<String>,
    password: Option<String>,
}

/// A data row, or its line and why it could not be read.
type Parsed = Result<Raw, (i64, String)>;

fn parse(text: &str) -> Result<Vec<Parsed>, AuthError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AuthError::invalid("file", format!("the header line is not CSV: {e}")))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    for h in &headers {
        if !["email", "display_name", "name", "role", "password"].contains(&h.as_str()) {
            return Err(AuthError::invalid(
                "file",
                format!("unknown column `{h}`; use email, display_name, role, password"),
            ));
        }
    }
    let email = col(&["email"])
        .ok_or_else(|| AuthError::invalid("file", "the header line needs an `email` column"))?;
    let (name, role, pw) = (
        col(&["display_name", "name"]),
        col(&["role"]),
        col(&["password"]),
    );
    let mut out = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        if out.len() >= MAX_ROWS {
            return Err(AuthError::invalid(
                "file",
                format!("at most {MAX_ROWS} rows per import"),
            ));
        }
        let line = i as i64 + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.push(Err((line, format!("not valid CSV: {e}"))));
                continue;
            }
        };
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        out.push(Ok(Raw {
            line,
            email: get(Some(email)).unwrap_or_default(),
            name: get(name),
            role: get(role),
            password: get(pw),
        }));
    }
    if out.is_empty() {
        return Err(AuthError::invalid(
            "file",
            "the file has no rows under the header",
        ));
    }
    Ok(out)
}

struct Existing {
    id: String,
    display_name: String,
    role: Role,
}

async fn existing(db: &Db, emails: &[String]) -> Result<HashMap<String, Existing>, AuthError> {
    let mut out = HashMap::new();
    for chunk in emails.chunks(500) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT id, email, display_name, role FROM users WHERE email IN ({})",
            marks.join(",")
        );
        let mut q = sqlx::query(&sql);
        for e in chunk {
            q = q.bind(e);
        }
        for r in q.fetch_all(db.pool()).await? {
            let role: String = r.try_get("role")?;
            out.insert(
                r.try_get("email")?,
                Existing {
                    id: r.try_get("id")?,
                    display_name: r.try_get("display_name")?,
                    role: Role::parse(&role).unwrap_or(Role::Viewer),
                },
            );
        }
    }
    Ok(out)
}

async fn plan(db: &Db, text: &str) -> Result<Vec<Planned>, AuthError> {
    let raws = parse(text)?;
    let emails: Vec<String> = raws
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .filter_map(|r| Email::parse(&r.email).ok())
        .map(|e| e.as_str().to_string())
        .collect();
    let known = existing(db, &emails).await?;
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut out = Vec::with_capacity(raws.len());
    for raw in raws {
        let raw = match raw {
            Ok(r) => r,
            Err((line, message)) => {
                out.push(error(line, "", message));
                continue;
            }
        };
        out.push(plan_row(raw, &known, &mut seen));
    }
    Ok(out)
}

fn error(line: i64, email: &str, message: String) -> Planned {
    Planned {
        row: ImportRow {
            line,
            email: email.to_string(),
            action: ImportAction::Error,
            message: Some(message),
        },
        display_name: None,
        role: Role::Viewer,
        password: None,
        user_id: None,
    }
}

fn plan_row(
    raw: Raw,
    known: &HashMap<String, Existing>,
    seen: &mut HashMap<String, i64>,
) -> Planned {
    let line = raw.line;
    let email = match Email::parse(&raw.email) {
        Ok(e) => e.as_str().to_string(),
        Err(e) => return error(line, &raw.email, e.to_string()),
    };
    if let Some(first) = seen.insert(email.clone(), line) {
        return error(
            line,
            &email,
            format!("the same email is already on line {first}"),
        );
    }
    let role = match raw.role.as_deref().map(|r| r.to_lowercase()) {
        None => None,
        Some(r) => match Role::parse(&r) {
            Some(Role::Admin) => {
                return error(
                    line,
                    &email,
                    "administrators are not imported; promote them one by one".into(),
                );
            }
            Some(role) => Some(role),
            None => {
                return error(
                    line,
                    &email,
                    format!("unknown role `{r}`; use moderator, developer, analyst or viewer"),
                );
            }
        },
    };
    if raw.name.as_deref().is_some_and(|n| n.chars().count() > 100) {
        return error(
            line,
            &email,
            "display_name: use at most 100 characters".into(),
        );
    }
    if let Some(pw) = &raw.password
        && let Err(AuthError::Invalid { message, .. }) = password::check_policy(pw, Some(&email))
    {
        return error(line, &email, format!("password: {message}"));
    }
    let planned = |action, message: Option<String>, role: Role, user_id: Option<String>| Planned {
        row: ImportRow {
            line,
            email: email.clone(),
            action,
            message,
        },
        display_name: raw.name.clone(),
        role,
        password: raw.password.clone(),
        user_id,
    };
    match known.get(&email) {
        None => {
            let note = raw
                .password
                .is_none()
                .then(|| "no password: they sign in through SSO or a reset link".to_string());
            planned(
                ImportAction::Create,
                note,
                role.unwrap_or(Role::Viewer),
                None,
            )
        }
        Some(u) if u.role == Role::Admin => error(
            line,
            &email,
            "administrators are not changed by import".into(),
        ),
        Some(u) => {
            let mut changes = Vec::new();
            if raw.name.as_deref().is_some_and(|n| n != u.display_name) {
                changes.push("display name".to_string());
            }
            if let Some(r) = role.filter(|r| *r != u.role) {
                changes.push(format!("role {} → {}", u.role.as_str(), r.as_str()));
            }
            let role = role.unwrap_or(u.role);
            if changes.is_empty() {
                planned(
                    ImportAction::Skip,
                    Some("unchanged".into()),
                    role,
                    Some(u.id.clone()),
                )
            } else {
                if raw.password.is_some() {
                    changes.push("password not changed (existing user)".into());
                }
                planned(
                    ImportAction::Update,
                    Some(changes.join("; ")),
                    role,
                    Some(u.id.clone()),
                )
            }
        }
    }
}

/// What importing `text` would do; nothing changes.
pub async fn dry_run(db: &Db, ctx: &AuthCtx, text: &str) -> Result<ImportReport, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let rows = plan(db, text).await?.into_iter().map(|p| p.row).collect();
    Ok(ImportReport::of(true, rows))
}

/// Starts the import as a job and answers it (status `running`).
pub async fn start(db: &Db, ctx: &AuthCtx, text: &str) -> Result<ImportJob, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let planned = plan(db, text).await?;
    let job = ImportJob {
        id: new_id(),
        status: "running".into(),
        total: planned.len() as i64,
        done: 0,
        created_at: now_ms(),
        finished_at: None,
        report: None,
    };
    sqlx::query(
        "INSERT INTO import_jobs (id, created_by, created_at, status, total, done) \
         VALUES ($1, $2, $3, 'running', $4, 0)",
    )
    .bind(&job.id)
    .bind(&ctx.user_id)
    .bind(job.created_at)
    .bind(job.total)
    .execute(db.pool())
    .await?;
    let (db, ctx, id) = (db.clone(), ctx.clone(), job.id.clone());
    tokio::spawn(async move {
        if let Err(e) = execute(&db, &ctx, &id, planned).await {
            tracing::error!(error = %e, job = %id, "user import failed");
            let _ = sqlx::query(
                "UPDATE import_jobs SET status = 'failed', finished_at = $2 WHERE id = $1",
            )
            .bind(&id)
            .bind(now_ms())
            .execute(db.pool())
            .await;
        }
    });
    Ok(job)
}

async fn execute(
    db: &Db,
    ctx: &AuthCtx,
    job_id: &str,
    planned: Vec<Planned>,
) -> Result<(), AuthError> {
    let mut rows = Vec::with_capacity(planned.len());
    for (i, p) in planned.into_iter().enumerate() {
        let mut row = p.row.clone();
        let result = match row.action {
            ImportAction::Create => create(db, ctx, &p).await,
            ImportAction::Update => update(db, ctx, &p).await,
            ImportAction::Skip | ImportAction::Error => Ok(()),
        };
        if let Err(e) = result {
            if matches!(e, AuthError::Db(_) | AuthError::Internal(_)) {
                return Err(e);
            }
            row.action = ImportAction::Error;
            row.message = Some(e.to_string());
        }
        rows.push(row);
        if i % 25 == 24 {
            sqlx::query("UPDATE import_jobs SET done = $2 WHERE id = $1")
                .bind(job_id)
                .bind(i as i64 + 1)
                .execute(db.pool())
                .await?;
        }
    }
    let report = ImportReport::of(false, rows);
    let json = serde_json::to_string(&report).map_err(|e| AuthError::Internal(e.to_string()))?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE import_jobs SET status = 'done', done = total, report = $2, finished_at = $3 WHERE id = $1",
    )
    .bind(job_id)
    .bind(json)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "job={job_id} created={} updated={} skipped={} errors={}",
        report.create, report.update, report.skip, report.error
    );
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit("user.import")
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn create(db: &Db, ctx: &AuthCtx, p: &Planned) -> Result<(), AuthError> {
    let mut tx = db.begin().await?;
    let input = UserForCreate {
        email: p.row.email.clone(),
        display_name: p.display_name.clone().unwrap_or_default(),
        password: p.password.clone(),
        role: p.role,
    };
    users::insert(&mut tx, input, Actor::Admin(ctx)).await?;
    tx.commit().await?;
    Ok(())
}

async fn update(db: &Db, ctx: &AuthCtx, p: &Planned) -> Result<(), AuthError> {
    let id = p.user_id.as_deref().unwrap_or_default();
    let input = ops_types::AdminUserForUpdate {
        display_name: p.display_name.clone(),
        role: Some(p.role),
        tier: None,
    };
    change::update(db, ctx, id, input).await.map(|_| ())
}

/// A job's progress, and its report once finished.
pub async fn job(db: &Db, ctx: &AuthCtx, id: &str) -> Result<ImportJob, AuthError> {
    ctx.require(Permission::UsersManage)?;
    let r = sqlx::query(
        "SELECT id, status, total, done, created_at, finished_at, report FROM import_jobs WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(AuthError::NotFound("import"))?;
    let report: Option<String> = r.try_get("report")?;
    Ok(ImportJob {
        id: r.try_get("id")?,
        status: r.try_get("status")?,
        total: r.try_get("total")?,
        done: r.try_get("done")?,
        created_at: r.try_get("created_at")?,
        finished_at: r.try_get("finished_at")?,
        report: report
            .map(|j| serde_json::from_str(&j))
            .transpose()
            .map_err(|e| AuthError::Internal(format!("import report: {e}")))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_rules() {
        assert!(parse("mail,role\nx@y.z,viewer").is_err(), "unknown column");
        assert!(parse("role\nviewer").is_err(), "email column required");
        assert!(parse("email\n").is_err(), "no rows");
        let rows = parse("\u{feff}Email,Name\n a@b.io , Ann \n\"broken,x\n").unwrap();
        let first = rows[0].as_ref().ok().unwrap();
        assert_eq!(
            (first.email.as_str(), first.name.as_deref()),
            ("a@b.io", Some("Ann"))
        );
    }
}
