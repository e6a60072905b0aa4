//! Credit packs: what can be bought by card, and for how much. Kept in the settings table (a
//! fresh install offers four packs, larger ones with a bonus); billing administrators edit the
//! list as a whole, audited with what changed.

use ops_auth::AuthCtx;
use ops_db::{AnyConnection, AuditRecord, Db, record_audit};
use ops_types::{CreditPack, CreditPacks, MAX_AMOUNT, Permission, format_amount};

use crate::{BillingError, stripe};

const KEY: &str = "billing.packs";
pub const CURRENCY: &str = "USD";
/// Stripe's smallest card charge in USD: $0.50.
pub const MIN_PRICE: i64 = 500_000;
const MAX_PACKS: usize = 12;

fn pack(code: &str, name: &str, dollars: i64, credit_dollars: i64) -> CreditPack {
    CreditPack {
        code: code.into(),
        name: name.into(),
        price: dollars * 1_000_000,
        credits: credit_dollars * 1_000_000,
    }
}

fn defaults() -> Vec<CreditPack> {
    vec![
        pack("pack-10", "$10 of credits", 10, 10),
        pack("pack-25", "$25 of credits (+4%)", 25, 26),
        pack("pack-50", "$50 of credits (+10%)", 50, 55),
        pack("pack-100", "$100 of credits (+15%)", 100, 115),
    ]
}

async fn stored(conn: &mut AnyConnection) -> Result<Vec<CreditPack>, BillingError> {
    Ok(crate::json_setting(conn, KEY)
        .await?
        .unwrap_or_else(defaults))
}

/// One pack by its code.
pub(crate) async fn find(db: &Db, code: &str) -> Result<CreditPack, BillingError> {
    let mut conn = db.pool().acquire().await?;
    stored(&mut conn)
        .await?
        .into_iter()
        .find(|p| p.code == code.trim())
        .ok_or_else(|| {
            BillingError::invalid("pack", format!("no pack `{}` is on sale", code.trim()))
        })
}

/// `GET /api/v1/credits/packs`.
pub async fn list(db: &Db, ctx: &AuthCtx) -> Result<CreditPacks, BillingError> {
    ctx.require(Permission::AccountRead)?;
    let mut conn = db.pool().acquire().await?;
    let packs = stored(&mut conn).await?;
    drop(conn);
    Ok(CreditPacks {
        currency: CURRENCY.into(),
        packs,
        available: stripe::configured(db).await?,
    })
}

fn check(packs: &[CreditPack]) -> Result<(), BillingError> {
    if packs.len() > MAX_PACKS {
        return Err(BillingError::invalid(
            "packs",
            format!("at most {MAX_PACKS} packs"),
        ));
    }
    for (i, p) in packs.iter().enumerate() {
        let ok_code = !p.code.is_empty()
            && p.code.len() <= 32
            && p.code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok_code {
            return Err(BillingError::invalid(
                "code",
                format!(
                    "pack {}: a code of 1 to 32 characters a-z, 0-9 and -",
                    i + 1
                ),
            ));
        }
        if packs[..i].iter().any(|q| q.code == p.code) {
            return Err(BillingError::invalid(
                "code",
                format!("the code `{}` is used twice", p.code),
            ));
        }
        let name = p.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(BillingError::invalid(
                "name",
                format!("pack `{}`: a name of 1 to 60 characters", p.code),
            ));
        }
        if p.price < MIN_PRICE || p.price > MAX_AMOUNT || p.price % 10_000 != 0 {
            return Err(BillingError::invalid(
                "price",
                format!(
                    "pack `{}`: from {} in whole cents (card payments have a minimum)",
                    p.code,
                    format_amount(MIN_PRICE, CURRENCY)
                ),
            ));
        }
        if p.credits <= 0 || p.credits > MAX_AMOUNT {
            return Err(BillingError::invalid(
                "credits",
                format!("pack `{}`: a positive amount of credits", p.code),
            ));
        }
    }
    Ok(())
}

/// `PUT /api/v1/admin/credits/packs`: replaces the list.
pub async fn save(
    db: &Db,
    ctx: &AuthCtx,
    packs: &[CreditPack],
) -> Result<CreditPacks, BillingError> {
    ctx.require(Permission::BillingManage)?;
    let packs: Vec<CreditPack> = packs
        .iter()
        .map(|p| CreditPack {
            code: p.code.trim().to_string(),
            name: p.name.trim().to_string(),
            ..p.clone()
        })
        .collect();
    check(&packs)?;
    let value =
        serde_json::to_string(&packs).map_err(|e| BillingError::invalid("packs", e.to_string()))?;
    let mut tx = db.begin().await?;
    ops_db::put_setting(&mut tx, KEY, &value, Some(&ctx.user_id)).await?;
    let detail = packs
        .iter()
        .map(|p| {
            format!(
                "{}: {} for {}",
                p.code,
                format_amount(p.credits, CURRENCY),
                format_amount(p.price, CURRENCY)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    record_audit(
        &mut tx,
        AuditRecord {
            detail: Some(&detail),
            ..ctx.audit("billing.packs")
        },
    )
    .await?;
    tx.commit().await?;
    list(db, ctx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_pass_their_own_checks() {
        assert_eq!(check(&defaults()).map_err(|e| e.to_string()), Ok(()));
    }

    #[test]
    fn bad_packs_are_refused() {
        let mut p = defaults();
        p[1].code = p[0].code.clone();
        assert!(check(&p).is_err(), "duplicate code");
        let mut p = defaults();
        p[0].price = 100_000;
        assert!(check(&p).is_err(), "under Stripe's minimum");
        let mut p = defaults();
        p[0].price = 10_000_001;
        assert!(check(&p).is_err(), "fractions of a cent");
        let mut p = defaults();
        p[0].credits = 0;
        assert!(check(&p).is_err(), "no credits");
    }
}
