//! Two-factor sign-in for the UI: the caller's own, and the administrator's policy and reset.

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{ApiError, MfaPolicy, MfaStatus, RecoveryCodes, TotpSetup};

#[server(prefix = "/api/ui", endpoint = "get_mfa_status")]
pub async fn get_mfa_status() -> Result<MfaStatus, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::mfa::status(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "start_totp")]
pub async fn start_totp() -> Result<TotpSetup, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mfa::setup(&st.db, &st.secrets, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "enable_totp")]
pub async fn enable_totp(code: String) -> Result<RecoveryCodes, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mfa::enable(&st.db, &st.secrets, &ctx, &code).await?)
}

#[server(prefix = "/api/ui", endpoint = "disable_totp")]
pub async fn disable_totp(code: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mfa::disable(&st.db, &st.secrets, &ctx, &code).await?)
}

#[server(prefix = "/api/ui", endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(code: String) -> Result<RecoveryCodes, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mfa::regenerate(&st.db, &st.secrets, &ctx, &code).await?)
}

#[server(prefix = "/api/ui", endpoint = "reset_user_mfa")]
pub async fn reset_user_mfa(id: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::mfa::admin_reset(&state()?.db, &ctx, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_mfa_policy")]
pub async fn get_mfa_policy() -> Result<MfaPolicy, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::mfa::policy(&state()?.db, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_mfa_policy", input = Json)]
pub async fn save_mfa_policy(input: MfaPolicy) -> Result<MfaPolicy, ApiError> {
    let ctx = ctx()?;
    Ok(ops_auth::mfa::set_policy(&state()?.db, &ctx, input).await?)
}
