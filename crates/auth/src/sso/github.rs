//! GitHub (and GitHub Enterprise Server) over OAuth2: the authorization request with `state`
//! and PKCE, the code exchange, and the profile from the REST API. The subject is GitHub's
//! numeric user id; the e-mail is the primary verified one. Organisations (`orgs`) or teams
//! (`org/team`) can be mapped to roles.

use openidconnect::url::Url;
use openidconnect::{CsrfToken, PkceCodeChallenge};
use serde::Deserialize;
use serde_json::Value;

use super::Claims;
use super::oidc::{OidcClients, OidcError, Start, read_json};
use super::providers::Provider;

/// `https://api.github.com` → `https://github.com`; `https://host/api/v3` → `https://host`.
pub(super) fn web_base(api: &str) -> String {
    if api == "https://api.github.com" {
        "https://github.com".into()
    } else {
        api.trim_end_matches("/api/v3").to_string()
    }
}

pub fn start(p: &Provider, redirect_uri: &str) -> Result<Start, OidcError> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = CsrfToken::new_random();
    let mut url = Url::parse(&format!(
        "{}/login/oauth/authorize",
        web_base(&p.view.issuer)
    ))
    .map_err(|e| OidcError::Provider(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("client_id", &p.view.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &p.view.scopes)
        .append_pair("state", state.secret())
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256")
        .append_pair("allow_signup", "false");
    Ok(Start {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: String::new(),
        verifier: verifier.secret().clone(),
    })
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Deserialize)]
struct GhUser {
    id: i64,
    login: String,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GhEmail {
    email: String,
    primary: bool,
    verified: bool,
}

pub async fn finish(
    clients: &OidcClients,
    p: &Provider,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<Claims, OidcError> {
    let http = clients.http();
    let token_url = format!("{}/login/oauth/access_token", web_base(&p.view.issuer));
    let secret = p.client_secret.clone().unwrap_or_default();
    let form = [
        ("client_id", p.view.client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let res = http
        .post(&token_url)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await;
    let answer: TokenAnswer = read_json(res, "token endpoint").await?;
    // GitHub answers errors with 200 and an `error` field.
    let token = match (answer.access_token, answer.error) {
        (Some(t), None) => t,
        (_, e) => {
            return Err(OidcError::Token(format!(
                "token endpoint: {} {}",
                e.unwrap_or_default(),
                answer.error_description.unwrap_or_default()
            )));
        }
    };
    let api = &p.view.issuer;
    let user: GhUser = get(clients, &format!("{api}/user"), &token).await?;
    let emails: Vec<GhEmail> = get(clients, &format!("{api}/user/emails"), &token).await?;
    let primary = emails.iter().find(|e| e.primary && e.verified);
    let roles = match p.view.role_claim.as_str() {
        "orgs" => get::<Vec<Value>>(clients, &format!("{api}/user/orgs"), &token)
            .await?
            .iter()
            .filter_map(|o| o["login"].as_str().map(str::to_string))
            .collect(),
        "teams" => get::<Vec<Value>>(clients, &format!("{api}/user/teams"), &token)
            .await?
            .iter()
            .filter_map(|t| {
                Some(format!(
                    "{}/{}",
                    t["organization"]["login"].as_str()?,
                    t["slug"].as_str()?
                ))
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(Claims {
        subject: user.id.to_string(),
        email: primary.map(|e| e.email.to_lowercase()),
        email_verified: primary.is_some(),
        name: user.name.filter(|n| !n.is_empty()).or(Some(user.login)),
        roles,
    })
}

async fn get<T: serde::de::DeserializeOwned>(
    clients: &OidcClients,
    url: &str,
    token: &str,
) -> Result<T, OidcError> {
    let res = clients
        .http()
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/vnd.github+json")
        .send()
        .await;
    read_json(res, url).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn web_base() {
        assert_eq!(
            super::web_base("https://api.github.com"),
            "https://github.com"
        );
        assert_eq!(
            super::web_base("https://git.corp/api/v3"),
            "https://git.corp"
        );
    }
}
