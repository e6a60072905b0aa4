//! The request log: one row per request (served, failed or refused) explaining what it cost and
//! why, written in batches together with the charges, the usage counters and the daily rollups,
//! all in one transaction: a batch is either wholly recorded and charged, or not at all.

use std::collections::HashMap;

use ops_billing::metered;
use ops_db::Db;
use ops_types::{Overage, OwnerKind};

use crate::GatewayError;
use crate::holds;
use crate::meter::Owner;

/// One request as logged.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub id: String,
    pub at: i64,
    pub key_id: String,
    /// The key's row id (its `last_used_at` is updated by the flush).
    pub key_row: String,
    pub user_id: String,
    pub owner_kind: OwnerKind,
    pub owner_id: String,
    pub endpoint: String,
    pub model: String,
    pub stream: bool,
    pub provider: String,
    pub deployment_id: Option<String>,
    pub credential: String,
    pub status: u16,
    pub error_code: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub counted: bool,
    pub reserved: i64,
    /// Charged.
    pub cost: i64,
    /// At the model's prices (what a platform key would have cost).
    pub list_cost: i64,
    pub latency_ms: i64,
    pub first_byte_ms: Option<i64>,
    /// Every attempt, as JSON; empty for a request served by its one attempt at the requested
    /// model, which the log's reader rebuilds from this row ([`crate::send::log_text`]).
    pub attempts: String,
    /// The prices it was billed at (`None` when nothing was billed): the price formula is made
    /// from them and the row's numbers when the log is read ([`crate::request::explain`]).
    #[serde(default)]
    pub prices: Option<crate::request::Prices>,
    /// Why it was refused or failed; for a billed request, only the notes after the formula
    /// (e.g. `; served by the fallback …`), usually none.
    pub explain: String,
    /// Set when settled: the plan's overage rule and period at admission.
    pub overage: Overage,
    pub period_start: i64,
    /// The start of the key's budget period at admission (0: the key has no budget).
    #[serde(default)]
    pub key_window: i64,
    /// Admitted against the plan's request limit (its hold is lowered when written).
    #[serde(default)]
    pub limited: bool,
}

/// Per account, what a written batch did.
pub struct Written {
    /// The settled cost of the batch's rows (what was queued in memory).
    pub settled: i64,
    /// Successful requests (those that count against plan limits).
    pub counted: i64,
    /// Of those, the ones admitted against the plan's request limit.
    pub limited: i64,
    /// What the account may spend now.
    pub spendable: i64,
}

const COLUMNS: &str = "id, at, key_id, user_id, owner_kind, owner_id, endpoint, model, stream, provider, \
    deployment_id, credential, status, error_code, input_tokens, output_tokens, counted, reserved, cost, \
    list_cost, latency_ms, first_byte_ms, attempts, input_price, output_price, price_percent, explain, ledger_entry";
const PER_ROW: usize = 28;
/// Rows per insert statement: a batch is cut into these sizes only, so a handful of prepared
/// statements serve every batch (the statement cache holds a plan per distinct SQL text). Not
/// larger: a 256-row statement cut CPU little, but each one holds SQLite's thread for over a
/// millisecond, and on two CPUs such bursts show in the one-client p99 (+0.59 against
/// +0.28–0.37 ms in the benchmark, Intel VM, 2026-12-05).
const CHUNKS: [usize; 4] = [64, 16, 4, 1];

/// `rows` cut into slices of the [`CHUNKS`] sizes, largest first.
fn chunks<'r, 'a>(mut rows: &'r [&'a Row]) -> Vec<&'r [&'a Row]> {
    let mut out = Vec::new();
    for size in CHUNKS {
        while rows.len() >= size {
            let (head, tail) = rows.split_at(size);
            out.push(head);
            rows = tail;
        }
    }
    out
}

async fn insert(
    conn: &mut ops_db::AnyConnection,
    rows: &[&Row],
    entries: &HashMap<(OwnerKind, &str), String>,
) -> Result<(), GatewayError> {
    // SQLite maps each numbered parameter (`$N`) to its slot by a linear search, which made a
    // 2,500-parameter insert cost more than everything else a request does: anonymous `?`
    // placeholders (bound in order) avoid it.
    let anonymous = conn.backend_name() == "SQLite";
    for chunk in chunks(rows) {
        let mut sql = format!("INSERT INTO llm_requests ({COLUMNS}) VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..PER_ROW {
                if j > 0 {
                    sql.push(',');
                }
                if anonymous {
                    sql.push('?');
                } else {
                    sql.push_str(&format!("${}", i * PER_ROW + j + 1));
                }
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (at, id) DO NOTHING");
        let mut q = sqlx::query(&sql);
        // Borrowed, not cloned: the statement only lives for this call.
        for r in chunk {
            let entry = entries.get(&(r.owner_kind, r.owner_id.as_str()));
            q = q
                .bind(r.id.as_str())
                .bind(r.at)
                .bind(r.key_id.as_str())
                .bind(r.user_id.as_str())
                .bind(r.owner_kind.as_str())
                .bind(r.owner_id.as_str())
                .bind(r.endpoint.as_str())
                .bind(r.model.as_str())
                .bind(i64::from(r.stream))
                .bind(r.provider.as_str())
                .bind(r.deployment_id.as_deref())
                .bind(r.credential.as_str())
                .bind(i64::from(r.status))
                .bind(r.error_code.as_deref())
                .bind(r.input_tokens)
                .bind(r.output_tokens)
                .bind(i64::from(r.counted))
                .bind(r.reserved)
                .bind(r.cost)
                .bind(r.list_cost)
                .bind(r.latency_ms)
                .bind(r.first_byte_ms)
                .bind(r.attempts.as_str())
                .bind(r.prices.map(|p| p.input))
                .bind(r.prices.map(|p| p.output))
                .bind(r.prices.map(|p| p.percent))
                .bind(r.explain.as_str())
                .bind(entry.map(String::as_str));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// A rollup row: the UTC day (days since the epoch), whose account, user, key, model,
/// provider and credential.
type DayKey<'r> = (
    i64,
    OwnerKind,
    &'r str,
    &'r str,
    &'r str,
    &'r str,
    &'r str,
    &'r str,
);

async fn rollup(conn: &mut ops_db::AnyConnection, rows: &[&Row]) -> Result<(), GatewayError> {
    const DAY_MS: i64 = 86_400_000;
    // Eight strings a key: a fast hash, not SipHash (keys come from our own rows).
    let mut days: rustc_hash::FxHashMap<DayKey, [i64; 7]> = Default::default();
    for r in rows {
        let k = (
            r.at.div_euclid(DAY_MS),
            r.owner_kind,
            r.owner_id.as_str(),
            r.user_id.as_str(),
            r.key_id.as_str(),
            r.model.as_str(),
            r.provider.as_str(),
            r.credential.as_str(),
        );
        let v = days.entry(k).or_default();
        v[0] += 1;
        v[1] += i64::from(r.status >= 400);
        v[2] += r.input_tokens;
        v[3] += r.output_tokens;
        v[4] += r.cost;
        v[5] += r.latency_ms;
        v[6] += r.list_cost;
    }
    for (k, v) in days {
        sqlx::query(
            "INSERT INTO llm_daily (day, owner_kind, owner_id, user_id, key_id, model, provider, credential, \
             requests, errors, input_tokens, output_tokens, cost, latency_ms, list_cost) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (day, owner_kind, owner_id, user_id, key_id, model, provider, credential) DO UPDATE SET \
             requests = llm_daily.requests + excluded.requests, errors = llm_daily.errors + excluded.errors, \
             input_tokens = llm_daily.input_tokens + excluded.input_tokens, \
             output_tokens = llm_daily.output_tokens + excluded.output_tokens, \
             cost = llm_daily.cost + excluded.cost, latency_ms = llm_daily.latency_ms + excluded.latency_ms, \
             list_cost = llm_daily.list_cost + excluded.list_cost",
        )
        .bind(ops_types::date_of_ms(k.0 * DAY_MS))
        .bind(k.1.as_str())
        .bind(k.2)
        .bind(k.3)
        .bind(k.4)
        .bind(k.5)
        .bind(k.6)
        .bind(k.7)
        .bind(v[0])
        .bind(v[1])
        .bind(v[2])
        .bind(v[3])
        .bind(v[4])
        .bind(v[5])
        .bind(v[6])
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// What a batch's rows cost per key budget period (the keys' holds).
pub fn key_costs(rows: &[&Row]) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.key_window > 0 && r.cost > 0) {
        *out.entry(holds::key_scope(&r.key_row, r.key_window))
            .or_default() += r.cost;
    }
    out
}

/// Writes a batch. Rows already in the log (the same `at` and `id`) are skipped and a batch's
/// charge is keyed by its first row, so writing the same batch twice charges once.
pub async fn write(
    db: &Db,
    replica: &str,
    rows: &[Row],
) -> Result<HashMap<Owner, Written>, GatewayError> {
    let mut tx = db.begin().await?;
    let fresh: Vec<&Row> = rows.iter().collect();
    let mut by_owner: HashMap<(OwnerKind, &str), Vec<&Row>> = HashMap::new();
    for r in &fresh {
        by_owner
            .entry((r.owner_kind, r.owner_id.as_str()))
            .or_default()
            .push(r);
    }
    let mut entries = HashMap::new();
    let mut out = HashMap::new();
    for (&(kind, id), rs) in &by_owner {
        let owner: Owner = (kind, id.to_string());
        let owner = &owner;
        let cost: i64 = rs.iter().map(|r| r.cost).sum();
        let counted: Vec<&&Row> = rs.iter().filter(|r| r.status < 400).collect();
        let Some(first) = counted.first() else {
            continue;
        };
        let key = format!("llm:{}", first.id);
        let reason = format!("AI gateway: {} requests", counted.len());
        let charged = metered::charge(
            &mut tx,
            (owner.0, &owner.1),
            first.overage,
            cost,
            &reason,
            &key,
        )
        .await?;
        if charged.amount < cost {
            tracing::warn!(owner = %owner.1, cost, charged = charged.amount, "gateway batch charged short");
        }
        let quantity: i64 = counted
            .iter()
            .map(|r| r.input_tokens + r.output_tokens)
            .sum();
        metered::count(
            &mut tx,
            (owner.0, &owner.1),
            first.period_start,
            "chat",
            (counted.len() as i64, quantity, charged.amount),
        )
        .await?;
        // What was settled leaves this replica's holds as it is charged and counted.
        holds::add(&mut tx, replica, &holds::account_scope(owner), -cost).await?;
        let limited = counted.iter().filter(|r| r.limited).count() as i64;
        if limited > 0 {
            holds::add(&mut tx, replica, &holds::requests_scope(owner), -limited).await?;
        }
        if let Some(entry) = charged.entry {
            entries.insert((kind, id), entry);
        }
        out.insert(
            owner.clone(),
            Written {
                settled: cost,
                counted: counted.len() as i64,
                limited,
                spendable: charged.spendable,
            },
        );
    }
    for (scope, cost) in key_costs(&fresh) {
        holds::add(&mut tx, replica, &scope, -cost).await?;
    }
    insert(&mut tx, &fresh, &entries).await?;
    rollup(&mut tx, &fresh).await?;
    let mut keys: Vec<&str> = fresh.iter().map(|r| r.key_row.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.retain(|k| !k.is_empty());
    ops_auth::key_limits::touch(&mut tx, &keys, ops_db::now_ms()).await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_cut_into_few_statement_sizes() {
        let row: Row = serde_json::from_value(serde_json::json!({
            "id": "r", "at": 0, "key_id": "", "key_row": "", "user_id": "", "owner_kind": "user",
            "owner_id": "", "endpoint": "chat", "model": "", "stream": false, "provider": "",
            "deployment_id": null, "credential": "platform", "status": 200, "error_code": null,
            "input_tokens": 0, "output_tokens": 0, "counted": false, "reserved": 0, "cost": 0,
            "list_cost": 0, "latency_ms": 0, "first_byte_ms": null, "attempts": "[]",
            "explain": "", "overage": "block", "period_start": 0
        }))
        .unwrap();
        let rows: Vec<&Row> = std::iter::repeat_n(&row, 150).collect();
        let sizes: Vec<usize> = chunks(&rows).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, vec![64, 64, 16, 4, 1, 1]);
    }
}
