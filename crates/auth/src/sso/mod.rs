//! Single sign-on. `GET /auth/login/{provider}` keeps `state`, `nonce` and the PKCE verifier in
//! the (cookie-bound) session and sends the browser to the provider; `GET /auth/callback`
//! takes them back out, once, checks `state` and the RFC 9207 `iss`, exchanges the code,
//! validates the ID token and maps the identity to an account ([`accept`]).

pub mod accept;
pub mod github;
pub mod oidc;
pub mod providers;

use ops_db::{Db, now_ms};
use ops_secrets::MasterKey;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use tower_sessions::Session;

pub use accept::Refusal;
pub use oidc::OidcClients;

use crate::{AuthCtx, AuthError, User, mfa};

/// What a provider told us about the person, after validation.
#[derive(Debug, Clone, Default)]
pub struct Claims {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The values of the provider's role claim.
    pub roles: Vec<String>,
}

const FLOW: &str = "sso_flow";
/// The session key naming the provider a session signed in through (for its logout).
pub const SIGNED_IN_WITH: &str = "sso_provider";
/// How long the person may spend at the provider.
const FLOW_MS: i64 = 10 * 60_000;

#[derive(Debug, Serialize, Deserialize)]
struct Flow {
    provider_id: String,
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    /// Set when a signed-in user links this provider to their account.
    link_user: Option<String>,
    at: i64,
}

fn internal(e: impl std::fmt::Display) -> AuthError {
    AuthError::Internal(format!("session: {e}"))
}

/// The redirect URI registered at every provider.
pub fn redirect_uri(base_url: &str) -> String {
    format!("{base_url}/auth/callback")
}

/// What the flow needs from the server.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub db: &'a Db,
    pub key: &'a MasterKey,
    pub clients: &'a OidcClients,
    /// This server's public address (the redirect URI is built from it).
    pub base_url: &'a str,
}

/// Starts a sign-in (or, with `linking`, linking to the signed-in caller): the provider's
/// authorization address.
pub async fn begin(
    env: Env<'_>,
    session: &Session,
    slug: &str,
    next: Option<&str>,
    linking: Option<&AuthCtx>,
) -> Result<String, Refusal> {
    let Env {
        db,
        key,
        clients,
        base_url,
    } = env;
    if let Some(ctx) = linking {
        ctx.require(ops_types::Permission::AccountRead)?;
        ctx.not_impersonated("link sign-in providers")?;
    }
    let p = providers::enabled_by_slug(db, key, slug)
        .await
        .map_err(|_| Refusal::Code("provider"))?;
    let redirect = redirect_uri(base_url);
    let start = if p.view.kind == "github" {
        github::start(&p, &redirect)
    } else {
        clients.start(&p, &redirect).await
    }
    .map_err(|e| {
        tracing::warn!(provider = %p.view.slug, error = %e, "SSO sign-in could not start");
        Refusal::Code("provider")
    })?;
    let flow = Flow {
        provider_id: p.view.id.clone(),
        state: start.state,
        nonce: start.nonce,
        verifier: start.verifier,
        next: crate::http::safe_next(next),
        link_user: linking.map(|c| c.user_id.clone()),
        at: now_ms(),
    };
    session.insert(FLOW, &flow).await.map_err(internal)?;
    Ok(start.url)
}

/// The parameters of `GET /auth/callback`.
#[derive(Debug, Default, Deserialize)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
}

/// How a callback ended.
#[derive(Debug)]
pub enum Finished {
    /// Start the session (then go to `next`).
    SignedIn {
        user: User,
        provider_id: String,
        next: String,
    },
    /// The account has TOTP: keep the user pending for `/login/mfa`.
    SecondFactor { user: User, next: String },
    /// The identity was linked to the signed-in user.
    Linked,
}

/// Completes a sign-in: the flow is taken out of the session first, so a replayed callback
/// finds none.
pub async fn finish(
    env: Env<'_>,
    session: &Session,
    cb: Callback,
    ip: Option<&str>,
) -> Result<Finished, Refusal> {
    let Env {
        db,
        key,
        clients,
        base_url,
    } = env;
    let flow: Option<Flow> = session.remove(FLOW).await.map_err(internal)?;
    let Some(flow) = flow.filter(|f| now_ms() - f.at < FLOW_MS) else {
        return Err(Refusal::Code("expired"));
    };
    let state = cb.state.unwrap_or_default();
    if !bool::from(state.as_bytes().ct_eq(flow.state.as_bytes())) {
        return Err(Refusal::Code("state"));
    }
    if cb.error.is_some() {
        return Err(Refusal::Code("denied"));
    }
    let code = cb
        .code
        .filter(|c| !c.is_empty())
        .ok_or(Refusal::Code("denied"))?;
    let p = providers::by_id(db, key, &flow.provider_id)
        .await
        .ok()
        .filter(|p| p.view.enabled)
        .ok_or(Refusal::Code("provider"))?;
    let redirect = redirect_uri(base_url);
    let claims = if p.view.kind == "github" {
        github::finish(clients, &p, &redirect, &code, &flow.verifier).await
    } else {
        match clients.check_iss(&p, cb.iss.as_deref()).await {
            Ok(()) => {
                clients
                    .finish(&p, &redirect, &code, &flow.verifier, &flow.nonce)
                    .await
            }
            Err(e) => Err(e),
        }
    };
    let claims = claims.map_err(|e| {
        tracing::warn!(provider = %p.view.slug, error = %e, "SSO sign-in refused");
        match e {
            oidc::OidcError::Provider(_) => Refusal::Code("provider"),
            oidc::OidcError::Token(_) => Refusal::Code("token"),
        }
    })?;
    if let Some(user_id) = &flow.link_user {
        accept::link_to(db, &p, &claims, user_id, ip).await?;
        return Ok(Finished::Linked);
    }
    let user = accept::sign_in(db, &p, &claims, ip).await?;
    if mfa::totp_enabled(db, &user.id).await? {
        return Ok(Finished::SecondFactor {
            user,
            next: flow.next,
        });
    }
    let method = format!("sso:{}", p.view.slug);
    let user = crate::login::complete(db, user, ip, &method).await?;
    Ok(Finished::SignedIn {
        user,
        provider_id: p.view.id,
        next: flow.next,
    })
}

/// Where to send the browser after signing out of a session that came through `provider_id`:
/// the provider's end-session endpoint when it has one (RP-initiated logout).
pub async fn logout_url(env: Env<'_>, provider_id: &str) -> Option<String> {
    let p = providers::by_id(env.db, env.key, provider_id).await.ok()?;
    let after = format!("{}/login", env.base_url);
    if p.view.kind == "github" {
        return None;
    }
    let end = env.clients.end_session_url(&p.view.issuer).await?;
    let mut url = openidconnect::url::Url::parse(&end).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &p.view.client_id)
        .append_pair("post_logout_redirect_uri", &after);
    Some(url.to_string())
}
