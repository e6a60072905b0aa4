//! Organisations for the UI: thin adapters over `ops_auth::orgs`, which checks the caller's
//! organisation role.

#[cfg(feature = "ssr")]
use super::ssr::{client_ip, ctx, session, state, user_agent};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
#[cfg(feature = "ssr")]
use ops_auth::orgs::{self, invites, members};
use ops_types::{
    ApiError, Org, OrgInvite, OrgInvitePreview, OrgMember, OrgRole, OrgSettings, OrgStats,
};
#[cfg(feature = "ssr")]
use ops_types::{OrgDelete, OrgForCreate, OrgInviteForCreate, OrgInviteSignUp, OrgStatus};

#[server(prefix = "/api/ui", endpoint = "my_orgs")]
pub async fn my_orgs() -> Result<Vec<Org>, ApiError> {
    Ok(orgs::mine(&state()?.db, &ctx()?).await?)
}

#[server(prefix = "/api/ui", endpoint = "create_org")]
pub async fn create_org(name: String) -> Result<Org, ApiError> {
    let input = OrgForCreate { name, slug: None };
    Ok(orgs::create(&state()?.db, &ctx()?, input).await?)
}

#[server(prefix = "/api/ui", endpoint = "switch_org")]
pub async fn switch_org(org_id: Option<String>) -> Result<Option<Org>, ApiError> {
    let org_id = org_id.filter(|o| !o.is_empty());
    Ok(orgs::switch(&state()?.db, &ctx()?, org_id.as_deref()).await?)
}

#[server(prefix = "/api/ui", endpoint = "joinable_orgs")]
pub async fn joinable_orgs() -> Result<Vec<Org>, ApiError> {
    Ok(orgs::joinable(&state()?.db, &ctx()?).await?)
}

#[server(prefix = "/api/ui", endpoint = "join_org")]
pub async fn join_org(id: String) -> Result<Org, ApiError> {
    Ok(orgs::join(&state()?.db, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_org")]
pub async fn get_org(id: String) -> Result<Org, ApiError> {
    Ok(orgs::get(&state()?.db, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "get_org_stats")]
pub async fn get_org_stats(id: String) -> Result<OrgStats, ApiError> {
    Ok(orgs::stats(&state()?.db, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "save_org_settings", input = Json)]
pub async fn save_org_settings(id: String, settings: OrgSettings) -> Result<Org, ApiError> {
    Ok(orgs::update(&state()?.db, &ctx()?, &id, settings).await?)
}

#[server(prefix = "/api/ui", endpoint = "remove_org_logo")]
pub async fn remove_org_logo(id: String) -> Result<Org, ApiError> {
    Ok(orgs::remove_logo(&state()?.db, &ctx()?, &id).await?)
}

/// Deletes the organisation, then opens the list of the caller's organisations.
#[server(prefix = "/api/ui", endpoint = "delete_org")]
pub async fn delete_org(id: String, confirm: String) -> Result<(), ApiError> {
    orgs::delete(&state()?.db, &ctx()?, &id, OrgDelete { confirm }).await?;
    leptos_axum::redirect("/account/organizations");
    Ok(())
}

#[server(prefix = "/api/ui", endpoint = "org_members")]
pub async fn org_members(id: String) -> Result<Vec<OrgMember>, ApiError> {
    Ok(members::list(&state()?.db, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "set_member_role", input = Json)]
pub async fn set_member_role(
    id: String,
    user_id: String,
    role: OrgRole,
) -> Result<OrgMember, ApiError> {
    Ok(members::set_role(&state()?.db, &ctx()?, &id, &user_id, role).await?)
}

#[server(prefix = "/api/ui", endpoint = "remove_member")]
pub async fn remove_member(id: String, user_id: String) -> Result<(), ApiError> {
    Ok(members::remove(&state()?.db, &ctx()?, &id, &user_id).await?)
}

#[server(prefix = "/api/ui", endpoint = "org_invites")]
pub async fn org_invites(id: String) -> Result<Vec<OrgInvite>, ApiError> {
    Ok(invites::list(&state()?.db, &ctx()?, &id).await?)
}

#[server(prefix = "/api/ui", endpoint = "invite_to_org", input = Json)]
pub async fn invite_to_org(
    id: String,
    email: String,
    role: Option<OrgRole>,
) -> Result<OrgInvite, ApiError> {
    let st = state()?;
    let input = OrgInviteForCreate { email, role };
    Ok(invites::create(&st.db, &st.secrets, &ctx()?, &id, input, &st.base_url).await?)
}

#[server(prefix = "/api/ui", endpoint = "resend_org_invite")]
pub async fn resend_org_invite(id: String, invite_id: String) -> Result<OrgInvite, ApiError> {
    let st = state()?;
    Ok(invites::resend(&st.db, &st.secrets, &ctx()?, &id, &invite_id, &st.base_url).await?)
}

#[server(prefix = "/api/ui", endpoint = "revoke_org_invite")]
pub async fn revoke_org_invite(id: String, invite_id: String) -> Result<(), ApiError> {
    Ok(invites::revoke(&state()?.db, &ctx()?, &id, &invite_id).await?)
}

#[server(prefix = "/api/ui", endpoint = "preview_invite")]
pub async fn preview_invite(token: String) -> Result<OrgInvitePreview, ApiError> {
    Ok(invites::preview(&state()?.db, &token).await?)
}

/// Accepts as the signed-in person, then opens the organisation.
#[server(prefix = "/api/ui", endpoint = "accept_invite")]
pub async fn accept_invite(token: String) -> Result<(), ApiError> {
    let org = invites::accept(&state()?.db, &ctx()?, &token).await?;
    leptos_axum::redirect(&format!("/org/{}", org.id));
    Ok(())
}

/// Creates the invited person's account, signs them in and opens their organisations.
#[server(prefix = "/api/ui", endpoint = "sign_up_from_invite")]
pub async fn sign_up_from_invite(
    token: String,
    display_name: String,
    password: String,
) -> Result<(), ApiError> {
    let st = state()?;
    let ip = client_ip();
    let input = OrgInviteSignUp {
        display_name,
        password,
    };
    let user = invites::sign_up(&st.db, &st.limiter, &token, input, ip.as_deref()).await?;
    ops_auth::sessions::sign_in(&session()?, &user, ip.as_deref(), user_agent().as_deref()).await?;
    leptos_axum::redirect("/account/organizations");
    Ok(())
}

#[server(prefix = "/api/ui", endpoint = "all_orgs")]
pub async fn all_orgs(q: String) -> Result<Vec<Org>, ApiError> {
    Ok(orgs::all(&state()?.db, &ctx()?, Some(&q)).await?)
}

#[server(prefix = "/api/ui", endpoint = "set_org_suspended")]
pub async fn set_org_suspended(id: String, suspended: bool) -> Result<Org, ApiError> {
    Ok(orgs::set_status(&state()?.db, &ctx()?, &id, OrgStatus { suspended }).await?)
}
