//! Money: balances, the ledger, administrators' grants and deductions (each submission carries
//! its own idempotency key, so a double click moves money once), and the ledger check.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{
    ApiError, CreditAccount, CreditBalance, CreditDeduct, CreditGrant, LedgerCheck, LedgerEntry,
    LedgerPage, LedgerQuery,
};

#[server(prefix = "/api/ui", endpoint = "credit_balance", input = Json)]
pub async fn get_credit_balance(query: LedgerQuery) -> Result<CreditBalance, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::query::balance(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "credit_history", input = Json)]
pub async fn get_credit_history(query: LedgerQuery) -> Result<LedgerPage, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::query::history(&state()?.db, &ctx, &query).await?)
}

#[server(prefix = "/api/ui", endpoint = "grant_credits", input = Json)]
pub async fn grant_credits(input: CreditGrant, key: String) -> Result<LedgerEntry, ApiError> {
    let ctx = ctx()?;
    let key = Some(key.as_str()).filter(|k| !k.is_empty());
    Ok(ops_billing::admin::grant(&state()?.db, &ctx, &input, key).await?)
}

#[server(prefix = "/api/ui", endpoint = "deduct_credits", input = Json)]
pub async fn deduct_credits(input: CreditDeduct, key: String) -> Result<LedgerEntry, ApiError> {
    let ctx = ctx()?;
    let key = Some(key.as_str()).filter(|k| !k.is_empty());
    Ok(ops_billing::admin::deduct(&state()?.db, &ctx, &input, key).await?)
}

#[server(prefix = "/api/ui", endpoint = "check_ledger")]
pub async fn check_ledger() -> Result<LedgerCheck, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::check::check(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "credit_accounts")]
pub async fn credit_accounts() -> Result<Vec<CreditAccount>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::query::accounts(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "create_codes", input = Json)]
pub async fn create_codes(
    input: ops_types::CodeBatchInput,
) -> Result<ops_types::CodeBatchCreated, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::codes::create(&state()?.db, &ctx, &input).await?)
}

#[server(prefix = "/api/ui", endpoint = "list_codes")]
pub async fn list_codes() -> Result<Vec<ops_types::CodeBatch>, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::codes::list(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "withdraw_codes")]
pub async fn withdraw_codes(id: String) -> Result<ops_types::CodeBatch, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::codes::revoke(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "check_code")]
pub async fn check_code(code: String) -> Result<ops_types::CodeCheck, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::codes::check(&state()?.db, &ctx, &code).await?)
}

#[server(prefix = "/api/ui", endpoint = "redeem_code", input = Json)]
pub async fn redeem_code(input: ops_types::Redeem) -> Result<ops_types::CodeCheck, ApiError> {
    let ctx = ctx()?;
    Ok(ops_billing::codes::redeem(&state()?.db, &ctx, &input).await?)
}
