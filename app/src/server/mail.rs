//! E-mail settings and password reset for the UI.

#[cfg(feature = "ssr")]
use super::ssr::{client_ip, ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{ApiError, SmtpSettings, SmtpSettingsForUpdate};

#[server(prefix = "/api/ui", endpoint = "get_smtp")]
pub async fn get_smtp() -> Result<SmtpSettings, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mail_settings::get(&st.db, &st.secrets, &ctx).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_smtp", input = Json)]
pub async fn save_smtp(input: SmtpSettingsForUpdate) -> Result<SmtpSettings, ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(ops_auth::mail_settings::save(&st.db, &st.secrets, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "send_test_mail")]
pub async fn send_test_mail(to: String) -> Result<(), ApiError> {
    let ctx = ctx()?;
    let st = state()?;
    Ok(
        ops_auth::mail_settings::test(&st.db, &st.secrets, &ctx, ops_types::TestMail { to })
            .await?,
    )
}

/// Always the same answer for an address with or without an account.
#[server(prefix = "/api/ui", endpoint = "request_reset_link")]
pub async fn request_reset_link(email: String) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    let input = ops_types::ForgotPassword { email };
    Ok(ops_auth::recovery::request(
        &st.db,
        &st.secrets,
        &st.limiter,
        input,
        &st.base_url,
        ip.as_deref(),
    )
    .await?)
}

#[server(prefix = "/api/ui", endpoint = "set_new_password")]
pub async fn set_new_password(token: String, new_password: String) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    let input = ops_types::ResetPassword {
        token,
        new_password,
    };
    ops_auth::recovery::reset(&st.db, input, ip.as_deref()).await?;
    Ok(())
}

/// Public: whether the sign-in page offers "Create an account".
#[server(prefix = "/api/ui", endpoint = "registration_mode")]
pub async fn registration_mode() -> Result<ops_types::RegistrationSettings, ApiError> {
    Ok(ops_auth::registration::settings(&state()?.db).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_registration_mode")]
pub async fn save_registration_mode(
    mode: String,
) -> Result<ops_types::RegistrationSettings, ApiError> {
    let ctx = ctx()?;
    let input = ops_types::RegistrationSettings { mode };
    Ok(ops_auth::registration::set_settings(&state()?.db, &ctx, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "sign_up")]
pub async fn sign_up(
    email: String,
    display_name: String,
    password: String,
) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    let input = ops_types::Registration {
        email,
        display_name,
        password,
    };
    Ok(ops_auth::registration::register(
        &st.db,
        &st.secrets,
        &st.limiter,
        input,
        &st.base_url,
        ip.as_deref(),
    )
    .await?)
}

#[server(prefix = "/api/ui", endpoint = "confirm_email")]
pub async fn confirm_email(token: String) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    Ok(
        ops_auth::registration::verify(&st.db, ops_types::VerifyEmail { token }, ip.as_deref())
            .await?,
    )
}
