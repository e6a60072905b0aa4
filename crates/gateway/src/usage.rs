//! Usage reports from the daily rollups (fast at any volume): totals, and breakdowns by model,
//! user, organisation, key, provider or day; the same as CSV. And the request log, which
//! explains each request: what it cost and why, or what refused it.

use ops_auth::AuthCtx;
use ops_db::{Row, now_ms};
use ops_types::{
    ApiError, ErrorCode, LlmRequest, LlmRequestQuery, LlmRequests, LlmUsage, LlmUsageQuery,
    LlmUsageRow, OwnerKind, Permission,
};

use crate::Gateway;
use crate::admin::internal;

/// What a report may show: everyone's (`None`) or one account's.
async fn scope(
    gw: &Gateway,
    ctx: &AuthCtx,
    scope: Option<&str>,
    org_id: Option<&str>,
) -> Result<Option<(OwnerKind, String)>, ApiError> {
    ctx.require(Permission::AccountRead)?;
    match scope.unwrap_or("mine") {
        "all" => {
            ctx.require(Permission::GatewayManage)?;
            Ok(None)
        }
        "mine" => ops_billing::account::readable(&gw.db, ctx, None, org_id)
            .await
            .map(Some)
            .map_err(ApiError::from),
        _ => Err(ApiError::field(
            ErrorCode::Validation,
            "scope",
            "mine or all",
        )),
    }
}

/// The breakdowns a report can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Model,
    User,
    Org,
    Key,
    Provider,
    Day,
}

impl By {
    fn column(self) -> &'static str {
        match self {
            By::Model => "d.model",
            By::User => "d.user_id",
            By::Org => "d.owner_id",
            By::Key => "d.key_id",
            By::Provider => "d.provider",
            By::Day => "d.day",
        }
    }

    fn label(self) -> &'static str {
        match self {
            By::User => "(SELECT u.email FROM users u WHERE u.id = d.user_id)",
            By::Org => "(SELECT o.name FROM orgs o WHERE o.id = d.owner_id)",
            By::Key => "(SELECT k.name FROM api_keys k WHERE k.key_id = d.key_id)",
            _ => "NULL",
        }
    }
}

const SUMS: &str = "CAST(SUM(d.requests) AS BIGINT) AS requests, CAST(SUM(d.errors) AS BIGINT) AS errors, \
    CAST(SUM(d.input_tokens) AS BIGINT) AS input_tokens, CAST(SUM(d.output_tokens) AS BIGINT) AS output_tokens, \
    CAST(SUM(d.cost) AS BIGINT) AS cost, CAST(SUM(d.list_cost) AS BIGINT) AS list_cost, \
    CAST(SUM(d.latency_ms) AS BIGINT) AS latency_ms";

fn row_of(r: &ops_db::AnyRow) -> Result<LlmUsageRow, sqlx::Error> {
    let requests: Option<i64> = r.try_get("requests")?;
    let requests = requests.unwrap_or(0);
    let latency: Option<i64> = r.try_get("latency_ms")?;
    let n =
        |c: &str| -> Result<i64, sqlx::Error> { Ok(r.try_get::<Option<i64>, _>(c)?.unwrap_or(0)) };
    Ok(LlmUsageRow {
        key: r.try_get::<Option<String>, _>("k")?.unwrap_or_default(),
        label: r.try_get::<Option<String>, _>("label")?.unwrap_or_default(),
        requests,
        errors: n("errors")?,
        input_tokens: n("input_tokens")?,
        output_tokens: n("output_tokens")?,
        cost: n("cost")?,
        list_cost: n("list_cost")?,
        avg_latency_ms: if requests > 0 {
            latency.unwrap_or(0) / requests
        } else {
            0
        },
    })
}

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// `sql` with the report's period and account bound.
fn bound<'q>(sql: &'q str, from: &str, to: &str, owner: &Option<(OwnerKind, String)>) -> Query<'q> {
    let mut query = sqlx::query(sql).bind(from.to_string()).bind(to.to_string());
    if let Some((kind, id)) = owner {
        query = query.bind(kind.as_str()).bind(id.clone());
    }
    query
}

/// A report over the last `q.days` days, broken down `by`.
pub async fn report(
    gw: &Gateway,
    ctx: &AuthCtx,
    q: &LlmUsageQuery,
    by: By,
) -> Result<LlmUsage, ApiError> {
    let days = q.days.unwrap_or(30);
    if !(1..=366).contains(&days) {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "days",
            "from 1 to 366",
        ));
    }
    let owner = scope(gw, ctx, q.scope.as_deref(), q.org_id.as_deref()).await?;
    let today = now_ms().div_euclid(86_400_000);
    let (from, to) = (
        ops_types::date_of_day(today - days + 1),
        ops_types::date_of_day(today),
    );
    let filter = if owner.is_some() {
        "d.day >= $1 AND d.day <= $2 AND d.owner_kind = $3 AND d.owner_id = $4"
    } else {
        "d.day >= $1 AND d.day <= $2"
    };
    let totals_sql = format!("SELECT '' AS k, '' AS label, {SUMS} FROM llm_daily d WHERE {filter}");
    let totals = row_of(
        &bound(&totals_sql, &from, &to, &owner)
            .fetch_one(gw.db.pool())
            .await
            .map_err(internal)?,
    )
    .map_err(internal)?;
    let order = if by == By::Day {
        "k"
    } else {
        "cost DESC, requests DESC"
    };
    let rows_sql = format!(
        "SELECT {col} AS k, {label} AS label, {SUMS} FROM llm_daily d WHERE {filter} GROUP BY {col} ORDER BY {order} LIMIT 1000",
        col = by.column(),
        label = by.label(),
    );
    let mut rows = bound(&rows_sql, &from, &to, &owner)
        .fetch_all(gw.db.pool())
        .await
        .map_err(internal)?
        .iter()
        .map(row_of)
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    if by == By::Day {
        rows = every_day(rows, today - days + 1, today);
    }
    Ok(LlmUsage {
        from,
        to,
        totals,
        rows,
    })
}

/// Days without traffic as zero rows, so a chart's axis has every day.
fn every_day(rows: Vec<LlmUsageRow>, first: i64, last: i64) -> Vec<LlmUsageRow> {
    (first..=last)
        .map(|d| {
            let day = ops_types::date_of_day(d);
            rows.iter()
                .find(|r| r.key == day)
                .cloned()
                .unwrap_or(LlmUsageRow {
                    key: day,
                    ..LlmUsageRow::default()
                })
        })
        .collect()
}

const REQUEST_COLUMNS: &str = "r.id, r.at, r.key_id, r.user_id, r.owner_kind, r.owner_id, r.endpoint, r.model, r.stream, \
    r.provider, r.credential, r.status, r.error_code, r.input_tokens, r.output_tokens, r.counted, r.reserved, r.cost, \
    r.list_cost, r.latency_ms, r.first_byte_ms, r.deployment_id, r.attempts, r.explain, r.ledger_entry, \
    r.input_price, r.output_price, r.price_percent, \
    (SELECT u.email FROM users u WHERE u.id = r.user_id) AS user_email";

fn request_of(r: &ops_db::AnyRow) -> Result<LlmRequest, sqlx::Error> {
    let flag = |c: &str| -> Result<bool, sqlx::Error> { Ok(r.try_get::<i64, _>(c)? != 0) };
    let int = |c: &str| -> Result<i64, sqlx::Error> { r.try_get::<i64, _>(c) };
    let mut req = LlmRequest {
        id: r.try_get("id")?,
        at: int("at")?,
        key_id: r.try_get("key_id")?,
        user_id: r.try_get("user_id")?,
        user_email: r.try_get("user_email")?,
        owner_kind: r.try_get("owner_kind")?,
        owner_id: r.try_get("owner_id")?,
        endpoint: r.try_get("endpoint")?,
        model: r.try_get("model")?,
        stream: flag("stream")?,
        provider: r.try_get("provider")?,
        credential: r.try_get("credential")?,
        status: int("status")?,
        error_code: r.try_get("error_code")?,
        input_tokens: int("input_tokens")?,
        output_tokens: int("output_tokens")?,
        counted: flag("counted")?,
        reserved: int("reserved")?,
        cost: int("cost")?,
        list_cost: int("list_cost")?,
        latency_ms: int("latency_ms")?,
        first_byte_ms: r.try_get("first_byte_ms")?,
        attempts: r.try_get("attempts")?,
        explain: r.try_get("explain")?,
        ledger_entry: r.try_get("ledger_entry")?,
    };
    // What the writer left out is made again from the row's own numbers.
    if req.attempts.is_empty() {
        let deployment: Option<String> = r.try_get("deployment_id")?;
        req.attempts = crate::send::rebuilt(
            &req.model,
            &req.provider,
            deployment.as_deref().unwrap_or_default(),
            &req.credential,
            req.first_byte_ms.unwrap_or(0),
        );
    }
    let prices = (
        r.try_get::<Option<i64>, _>("input_price")?,
        r.try_get::<Option<i64>, _>("output_price")?,
        r.try_get::<Option<i64>, _>("price_percent")?,
    );
    if let (Some(input), Some(output), Some(percent)) = prices {
        let formula = crate::request::explain(&crate::request::Billed {
            prices: crate::request::Prices {
                input,
                output,
                percent,
            },
            input: req.input_tokens,
            output: req.output_tokens,
            list: req.list_cost,
            cost: req.cost,
            reserved: req.reserved,
            counted: req.counted,
            byok: req.credential == "byok",
        });
        // The stored text holds only the notes after the formula.
        req.explain = formula + &req.explain;
    }
    Ok(req)
}

/// Whose account an API key's requests are charged to (`None` for a key that no longer exists).
async fn key_owner(gw: &Gateway, key_id: &str) -> Result<Option<(OwnerKind, String)>, ApiError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT user_id, org_id FROM api_keys WHERE key_id = $1")
            .bind(key_id)
            .fetch_optional(gw.db.pool())
            .await
            .map_err(internal)?;
    Ok(row.map(|(user, org)| match org {
        Some(org) => (OwnerKind::Org, org),
        None => (OwnerKind::User, user),
    }))
}

/// `GET /api/v1/llm/requests`: newest first, filtered, a page at a time.
pub async fn requests(
    gw: &Gateway,
    ctx: &AuthCtx,
    q: &LlmRequestQuery,
) -> Result<LlmRequests, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "limit",
            "from 1 to 200",
        ));
    }
    let mut owner = scope(gw, ctx, q.scope.as_deref(), q.org_id.as_deref()).await?;
    let key = (q.key_id.as_deref())
        .filter(|k| !k.is_empty())
        .map(|k| k.trim_start_matches("opc_").to_string());
    if let (None, Some(k)) = (&owner, &key) {
        // The log has no index by key: its rows are found through the key's owner.
        owner = key_owner(gw, k).await?;
    }
    let mut clauses = vec!["r.at < $1".to_string()];
    let mut binds: Vec<String> = Vec::new();
    let mut push = |clause: &str, value: String| {
        binds.push(value);
        clauses.push(clause.replace('?', &format!("${}", binds.len() + 1)));
    };
    if let Some((kind, id)) = &owner {
        push("r.owner_kind = ?", kind.as_str().to_string());
        push("r.owner_id = ?", id.clone());
    }
    if let Some(m) = q.model.as_deref().filter(|m| !m.is_empty()) {
        push("r.model = ?", m.to_string());
    }
    if let Some(k) = key {
        push("r.key_id = ?", k);
    }
    match q.status.as_deref() {
        None | Some("") => {}
        Some("ok") => clauses.push("r.status < 400".into()),
        Some("error") => clauses.push("r.status >= 400".into()),
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "status",
                "ok or error",
            ));
        }
    }
    let sql = format!(
        "SELECT {REQUEST_COLUMNS} FROM llm_requests r WHERE {} ORDER BY r.at DESC, r.id DESC LIMIT {}",
        clauses.join(" AND "),
        limit + 1
    );
    let mut query = sqlx::query(&sql).bind(q.before.unwrap_or(i64::MAX));
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query.fetch_all(gw.db.pool()).await.map_err(internal)?;
    let mut requests = rows
        .iter()
        .map(request_of)
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    let next_before = (requests.len() as i64 > limit).then(|| {
        requests.truncate(limit as usize);
        requests.last().map_or(0, |r| r.at)
    });
    Ok(LlmRequests {
        requests,
        next_before,
    })
}
