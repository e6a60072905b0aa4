//! Single sign-on for the UI: the sign-in buttons, the console's providers, and the caller's
//! linked identities. The sign-in itself is a browser redirect (`/auth/login/{slug}`).

#[cfg(feature = "ssr")]
use super::ssr::{ctx, state};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use ops_types::{ApiError, LinkedIdentity, SsoButton, SsoCheck, SsoProvider, SsoProviderForm};

#[server(prefix = "/api/ui", endpoint = "sso_buttons")]
pub async fn sso_buttons() -> Result<Vec<SsoButton>, ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::providers::buttons(&st.db).await?)
}

#[server(prefix = "/api/ui", endpoint = "list_sso_providers")]
pub async fn list_sso_providers() -> Result<Vec<SsoProvider>, ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::providers::list(&st.db, &st.secrets, &ctx()?).await?)
}

/// Creates (`id` absent) or changes a provider.
#[server(prefix = "/api/ui", endpoint = "save_sso_provider", input = Json)]
pub async fn save_sso_provider(
    id: Option<String>,
    form: SsoProviderForm,
) -> Result<SsoProvider, ApiError> {
    use ops_auth::sso::providers;
    let st = state()?;
    let ctx = ctx()?;
    Ok(match id {
        Some(id) => providers::update(&st.db, &st.secrets, &ctx, &id, form).await?,
        None => providers::create(&st.db, &st.secrets, &ctx, form).await?,
    })
}

#[server(prefix = "/api/ui", endpoint = "delete_sso_provider")]
pub async fn delete_sso_provider(id: String) -> Result<(), ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::providers::delete(&st.db, &st.secrets, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "check_sso_provider")]
pub async fn check_sso_provider(id: String) -> Result<SsoCheck, ApiError> {
    let st = state()?;
    Ok(
        ops_auth::sso::providers::check(&st.db, &st.secrets, &st.oidc, &ctx()?, &id, &st.base_url)
            .await?,
    )
}

#[server(prefix = "/api/ui", endpoint = "my_identities")]
pub async fn my_identities() -> Result<Vec<LinkedIdentity>, ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::accept::identities(&st.db, &ctx()?).await?)
}

#[server(prefix = "/api/ui", endpoint = "unlink_identity")]
pub async fn unlink_identity(provider_id: String) -> Result<(), ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::accept::unlink(&st.db, &ctx()?, &provider_id).await?)
}

#[server(prefix = "/api/ui", endpoint = "admin_unlink_identity")]
pub async fn admin_unlink_identity(user_id: String, provider_id: String) -> Result<(), ApiError> {
    let st = state()?;
    Ok(ops_auth::sso::accept::admin_unlink(&st.db, &ctx()?, &user_id, &provider_id).await?)
}
