//! Redemption codes and coupons. Billing administrators make batches: credit codes (generated,
//! shown once, kept as hashes) or a coupon (one code they choose, a percentage off plan prices
//! for some months). Customers redeem a code for their account or an organisation they manage
//! billing for, once per batch; a code's uses are counted under its row lock, so parallel
//! redemptions never exceed them.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AnyRow, AuditRecord, Db, Row, new_id, now_ms, record_audit};
use ops_types::{
    CodeBatch, CodeBatchCreated, CodeBatchInput, CodeKind, CodeUse, CreditBucket, MAX_AMOUNT,
    Permission,
};
use sha2::{Digest, Sha256};

use crate::{BillingError, plans};

mod redeem;

pub use redeem::{check, redeem};

const DAY_MS: i64 = 86_400_000;
/// No I, O, 0 or 1: codes are read aloud and typed from paper.
const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A code as stored and compared: upper case, without spaces and dashes.
fn normalise(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

fn hash(code: &str) -> String {
    Sha256::digest(normalise(code).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn hint(code: &str) -> String {
    let n = normalise(code);
    n[n.len().saturating_sub(4)..].to_string()
}

/// `XXXX-XXXX-XXXX-XXXX`: 80 random bits.
fn generate() -> Result<String, BillingError> {
    let mut raw = [0u8; 16];
    getrandom::getrandom(&mut raw)
        .map_err(|e| BillingError::invalid("count", format!("rng: {e}")))?;
    let chars: Vec<char> = raw
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

const BATCH_COLUMNS: &str = "b.id, b.kind, b.name, b.amount, b.bucket, b.credit_days, b.percent_off, \
    b.months, b.plans, b.uses_per_code, b.codes, b.valid_until, b.revoked_at, b.created_at, \
    u.email AS created_by, \
    (SELECT COUNT(*) FROM code_redemptions r WHERE r.batch_id = b.id) AS redemptions";

fn batch_of(r: &AnyRow) -> Result<CodeBatch, sqlx::Error> {
    let plans: String = r.try_get("plans")?;
    Ok(CodeBatch {
        id: r.try_get("id")?,
        kind: if r.try_get::<String, _>("kind")? == "coupon" {
            CodeKind::Coupon
        } else {
            CodeKind::Credit
        },
        name: r.try_get("name")?,
        amount: r.try_get("amount")?,
        bucket: if r.try_get::<String, _>("bucket")? == "paid" {
            CreditBucket::Paid
        } else {
            CreditBucket::Granted
        },
        credit_days: r.try_get("credit_days")?,
        percent_off: r.try_get("percent_off")?,
        months: r.try_get("months")?,
        plans: serde_json::from_str(&plans).unwrap_or_default(),
        codes: r.try_get("codes")?,
        uses_per_code: r.try_get("uses_per_code")?,
        redemptions: r.try_get("redemptions")?,
        valid_until: r.try_get("valid_until")?,
        revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

async fn load_batch(conn: &mut AnyConnection, id: &str) -> Result<CodeBatch, BillingError> {
    let row = sqlx::query(&format!(
        "SELECT {BATCH_COLUMNS} FROM code_batches b LEFT JOIN users u ON u.id = b.created_by WHERE b.id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(BillingError::NotFound("code batch"))?;
    Ok(batch_of(&row)?)
}

/// The checked batch, and the codes to make: the chosen one or `count` generated.
async fn validate(
    conn: &mut AnyConnection,
    input: &CodeBatchInput,
) -> Result<(CodeBatchInput, Vec<String>), BillingError> {
    let bad = |f: &'static str, m: &str| BillingError::invalid(f, m);
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("name", "1 to 100 characters"));
    }
    let uses = input.uses_per_code.unwrap_or(1);
    if !(1..=1_000_000).contains(&uses) {
        return Err(bad("uses_per_code", "from 1 to 1 000 000"));
    }
    if input.valid_until.is_some_and(|t| t <= now_ms()) {
        return Err(bad("valid_until", "must be in the future"));
    }
    match input.kind {
        CodeKind::Credit => {
            if !(1..=MAX_AMOUNT).contains(&input.amount) {
                return Err(bad(
                    "amount",
                    &format!("from 1 to {MAX_AMOUNT} micro-units"),
                ));
            }
            if input.credit_days.is_some_and(|d| !(1..=3650).contains(&d)) {
                return Err(bad(
                    "credit_days",
                    "from 1 to 3650, or none for credits that never expire",
                ));
            }
        }
        CodeKind::Coupon => {
            if !(1..=100).contains(&input.percent_off) {
                return Err(bad("percent_off", "from 1 to 100"));
            }
            if input.months.is_some_and(|m| !(1..=120).contains(&m)) {
                return Err(bad("months", "from 1 to 120, or none for good"));
            }
            for code in &input.plans {
                let p = plans::load(conn, code)
                    .await
                    .map_err(|_| bad("plans", &format!("no plan `{code}`")))?;
                if p.price_monthly == 0 && p.price_yearly == 0 {
                    return Err(bad(
                        "plans",
                        &format!("`{code}` is free: nothing to take off"),
                    ));
                }
            }
        }
    }
    let count = input.count.unwrap_or(1);
    let codes = match input
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        Some(chosen) => {
            let n = normalise(chosen);
            if !(4..=32).contains(&n.len()) || !n.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(bad("code", "4 to 32 letters and digits (dashes allowed)"));
            }
            if count != 1 {
                return Err(bad("count", "a chosen code is one code"));
            }
            vec![chosen.to_uppercase()]
        }
        None => {
            if !(1..=10_000).contains(&count) {
                return Err(bad("count", "from 1 to 10 000"));
            }
            (0..count).map(|_| generate()).collect::<Result<_, _>>()?
        }
    };
    let clean = CodeBatchInput {
        name: name.to_string(),
        uses_per_code: Some(uses),
        ..input.clone()
    };
    Ok((clean, codes))
}

/// `POST /api/v1/credits/coupons/create`: the batch and its codes, shown this once.
pub async fn create(
    db: &Db,
    ctx: &AuthCtx,
    input: &CodeBatchInput,
) -> Result<CodeBatchCreated, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut tx = db.begin().await?;
    crate::write_first(&mut tx).await?;
    let (b, codes) = validate(&mut tx, input).await?;
    let id = new_id();
    let now = now_ms();
    let coupon = b.kind == CodeKind::Coupon;
    sqlx::query(
        "INSERT INTO code_batches (id, kind, name, amount, bucket, credit_days, percent_off, months, plans, \
         uses_per_code, codes, valid_until, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&id)
    .bind(b.kind.as_str())
    .bind(&b.name)
    .bind(if coupon { 0 } else { b.amount })
    .bind(b.bucket.as_str())
    .bind(if coupon { None } else { b.credit_days })
    .bind(if coupon { b.percent_off } else { 0 })
    .bind(if coupon { b.months } else { None })
    .bind(serde_json::to_string(&b.plans).unwrap_or_else(|_| "[]".into()))
    .bind(b.uses_per_code.unwrap_or(1))
    .bind(codes.len() as i64)
    .bind(b.valid_until)
    .bind(&ctx.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for code in &codes {
        let taken = sqlx::query("SELECT id FROM redemption_codes WHERE code_hash = $1")
            .bind(hash(code))
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(BillingError::Conflict(format!(
                "the code {code} exists already"
            )));
        }
        sqlx::query(
            "INSERT INTO redemption_codes (id, batch_id, code_hash, hint, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(hash(code))
        .bind(hint(code))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let detail = format!(
        "kind={} codes={} amount={} percent_off={} uses_per_code={}",
        b.kind.as_str(),
        codes.len(),
        b.amount,
        b.percent_off,
        b.uses_per_code.unwrap_or(1)
    );
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(&id),
            target_label: Some(&b.name),
            detail: Some(&detail),
            ..ctx.audit("codes.create")
        },
    )
    .await?;
    let batch = load_batch(&mut tx, &id).await?;
    tx.commit().await?;
    Ok(CodeBatchCreated { batch, codes })
}

/// `GET /api/v1/credits/coupons`: every batch, newest first.
pub async fn list(db: &Db, ctx: &AuthCtx) -> Result<Vec<CodeBatch>, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let rows = sqlx::query(&format!(
        "SELECT {BATCH_COLUMNS} FROM code_batches b LEFT JOIN users u ON u.id = b.created_by \
         ORDER BY b.created_at DESC, b.id DESC LIMIT 500"
    ))
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(batch_of).collect::<Result<_, _>>()?)
}

/// `DELETE /api/v1/credits/coupons/{id}`: no more redemptions (coupons already applied stay).
pub async fn revoke(db: &Db, ctx: &AuthCtx, id: &str) -> Result<CodeBatch, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut tx = db.begin().await?;
    crate::write_first(&mut tx).await?;
    let b = load_batch(&mut tx, id).await?;
    if b.revoked {
        return Err(BillingError::Conflict("already withdrawn".into()));
    }
    sqlx::query("UPDATE code_batches SET revoked_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    record_audit(
        &mut tx,
        AuditRecord {
            target: Some(id),
            target_label: Some(&b.name),
            ..ctx.audit("codes.revoke")
        },
    )
    .await?;
    let b = load_batch(&mut tx, id).await?;
    tx.commit().await?;
    Ok(b)
}

/// `GET /api/v1/credits/coupons/{id}/codes`: each code's hint, uses and who redeemed it.
pub async fn uses(db: &Db, ctx: &AuthCtx, id: &str) -> Result<Vec<CodeUse>, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let mut conn = db.pool().acquire().await?;
    load_batch(&mut conn, id).await?;
    let rows = sqlx::query(
        "SELECT c.id, c.hint, c.uses, COALESCE(u.email, o.name, r.owner_id) AS who FROM redemption_codes c \
         LEFT JOIN code_redemptions r ON r.code_id = c.id \
         LEFT JOIN users u ON r.owner_kind = 'user' AND u.id = r.owner_id \
         LEFT JOIN orgs o ON r.owner_kind = 'org' AND o.id = r.owner_id \
         WHERE c.batch_id = $1 ORDER BY c.created_at, c.id, r.created_at",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<(String, CodeUse)> = Vec::new();
    for r in &rows {
        let cid: String = r.try_get("id")?;
        let who: Option<String> = r.try_get("who")?;
        if out.last().is_none_or(|(last, _)| *last != cid) {
            out.push((
                cid,
                CodeUse {
                    hint: r.try_get("hint")?,
                    uses: r.try_get("uses")?,
                    redeemed_by: Vec::new(),
                },
            ));
        }
        if let (Some(w), Some((_, u))) = (who, out.last_mut()) {
            u.redeemed_by.push(w);
        }
    }
    Ok(out.into_iter().map(|(_, u)| u).collect())
}
