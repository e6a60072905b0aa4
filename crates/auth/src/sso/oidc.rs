//! OpenID Connect with the `openidconnect` crate: discovery (cached, issuer checked), the
//! authorization request (code + PKCE S256, `state`, `nonce`), and the code exchange with
//! ID-token validation (signature against the provider's keys, issuer, audience, expiry,
//! nonce). Microsoft's multi-tenant issuers (`{tenantid}` in the metadata) are checked
//! against the token's `tid`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreClaimName, CoreClaimType, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreGrantType, CoreJsonWebKey, CoreJsonWebKeySet,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreSubjectIdentifierType, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AdditionalProviderMetadata, AuthType, AuthenticationFlow, AuthorizationCode,
    Client, ClientId, ClientSecret, CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IdTokenFields, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::Claims;
use super::providers::Provider;

/// Claims beyond the standard ones (`groups`, `roles`, `tid`, `hd`, …), kept as JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Extra {
    #[serde(flatten)]
    claims: Map<String, Value>,
}
impl AdditionalClaims for Extra {}

/// The discovery fields the crate does not model.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MoreMetadata {
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for MoreMetadata {}

pub type Metadata = ProviderMetadata<
    MoreMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Fields = IdTokenFields<
    Extra,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

type OidcClient = Client<
    Extra,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    StandardTokenResponse<Fields, CoreTokenType>,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why a step failed: for the log (never shown raw to the person).
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// Discovery, keys or the token endpoint could not be used.
    #[error("provider: {0}")]
    Provider(String),
    /// The answer did not validate (signature, issuer, audience, expiry, nonce, `iss`).
    #[error("token: {0}")]
    Token(String),
}

/// HTTP for identity providers: no redirects (SSRF), short timeouts; discovery cached.
pub struct OidcClients {
    http: openidconnect::reqwest::Client,
    cache: Mutex<HashMap<String, (Instant, Arc<Metadata>)>>,
}

const CACHE_FOR: Duration = Duration::from_secs(600);

impl Default for OidcClients {
    fn default() -> Self {
        let http = openidconnect::reqwest::Client::builder()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent("ops-center")
            .build()
            .unwrap_or_default();
        OidcClients {
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl std::fmt::Debug for OidcClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OidcClients")
    }
}

/// Where the authorization request goes, and what the callback must find again.
#[derive(Debug)]
pub struct Start {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

impl OidcClients {
    pub fn http(&self) -> &openidconnect::reqwest::Client {
        &self.http
    }

    /// The provider's metadata and keys, fetched at most every ten minutes.
    pub async fn metadata(&self, issuer: &str, fresh: bool) -> Result<Arc<Metadata>, OidcError> {
        if !fresh
            && let Ok(cache) = self.cache.lock()
            && let Some((at, m)) = cache.get(issuer)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(m.clone());
        }
        let m = Arc::new(self.discover(issuer).await?);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(issuer.to_string(), (Instant::now(), m.clone()));
        }
        Ok(m)
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, OidcError> {
        let res = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await;
        read_json(res, url).await
    }

    async fn discover(&self, issuer: &str) -> Result<Metadata, OidcError> {
        let url = format!("{issuer}/.well-known/openid-configuration");
        let m: Metadata = self.get_json(&url).await?;
        let published = m.issuer().as_str().trim_end_matches('/');
        if published != issuer && !is_tenant_template(published, issuer) {
            return Err(OidcError::Provider(format!(
                "the discovery document names issuer {published}, not {issuer}"
            )));
        }
        let jwks: CoreJsonWebKeySet = self.get_json(m.jwks_uri().as_str()).await?;
        Ok(m.set_jwks(jwks))
    }

    /// The authorization request for `provider`.
    pub async fn start(&self, p: &Provider, redirect_uri: &str) -> Result<Start, OidcError> {
        let meta = self.metadata(&p.view.issuer, false).await?;
        let client = client(p, &meta, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut req = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for s in p.view.scopes.split_whitespace().filter(|s| *s != "openid") {
            req = req.add_scope(Scope::new(s.to_string()));
        }
        let (url, state, nonce) = req.url();
        Ok(Start {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    /// RFC 9207: the `iss` of the authorization response must be the provider's issuer, and
    /// must be there when the provider says it sends it.
    pub async fn check_iss(&self, p: &Provider, iss: Option<&str>) -> Result<(), OidcError> {
        let meta = self.metadata(&p.view.issuer, false).await?;
        let published = meta.issuer().as_str().trim_end_matches('/');
        match iss.map(|i| i.trim_end_matches('/')) {
            Some(i) if i == published || i == p.view.issuer => Ok(()),
            Some(i) if is_tenant_template(published, i) => Ok(()),
            Some(i) => Err(OidcError::Token(format!("iss {i} is not {published}"))),
            None if meta
                .additional_metadata()
                .authorization_response_iss_parameter_supported
                == Some(true) =>
            {
                Err(OidcError::Token("the response lacks iss".into()))
            }
            None => Ok(()),
        }
    }

    /// Exchanges the code and validates the ID token; claims missing from it (e-mail, the role
    /// claim) are read from the userinfo endpoint.
    pub async fn finish(
        &self,
        p: &Provider,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<Claims, OidcError> {
        let meta = self.metadata(&p.view.issuer, false).await?;
        let client = client(p, &meta, redirect_uri)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| OidcError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Provider(format!("token endpoint: {}", describe(&e))))?;
        let id_token = token
            .id_token()
            .ok_or_else(|| OidcError::Token("the token response has no ID token".into()))?;
        let published = meta.issuer().as_str().trim_end_matches('/').to_string();
        let template = published.contains("{tenantid}");
        let algs: Vec<CoreJwsSigningAlgorithm> = meta
            .id_token_signing_alg_values_supported()
            .iter()
            .filter(|a| !matches!(a, CoreJwsSigningAlgorithm::None))
            .cloned()
            .collect();
        let verifier = client
            .id_token_verifier()
            .require_issuer_match(!template)
            .set_allowed_algs(algs);
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_string()))
            .map_err(|e| OidcError::Token(e.to_string()))?;
        let extra = &claims.additional_claims().claims;
        if template {
            let tid = extra.get("tid").and_then(Value::as_str).unwrap_or("");
            let expected = published.replace("{tenantid}", tid);
            if tid.is_empty() || claims.issuer().as_str().trim_end_matches('/') != expected {
                return Err(OidcError::Token(format!(
                    "issuer {} does not match the tenant {tid}",
                    claims.issuer().as_str()
                )));
            }
        }
        let mut out = Claims {
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|e| e.as_str().to_lowercase()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims
                .name()
                .and_then(|n| n.get(None))
                .map(|n| n.as_str().to_string())
                .or_else(|| claims.preferred_username().map(|u| u.as_str().to_string())),
            roles: claim_values(extra.get(&p.view.role_claim)),
        };
        let role_claim_missing =
            !p.view.role_claim.is_empty() && !extra.contains_key(&p.view.role_claim);
        if (out.email.is_none() || role_claim_missing)
            && let Some(url) = meta.userinfo_endpoint()
        {
            let info = self
                .userinfo(url.as_str(), token.access_token().secret())
                .await?;
            if info.get("sub").and_then(Value::as_str) != Some(out.subject.as_str()) {
                return Err(OidcError::Token("userinfo is about another subject".into()));
            }
            if out.email.is_none() {
                out.email = info
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_lowercase);
                out.email_verified = info
                    .get("email_verified")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
            }
            if role_claim_missing {
                out.roles = claim_values(info.get(&p.view.role_claim));
            }
        }
        Ok(out)
    }

    async fn userinfo(
        &self,
        url: &str,
        access_token: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let res = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header("accept", "application/json")
            .send()
            .await;
        read_json(res, "userinfo").await
    }

    /// Where to send the browser to end the provider's session too, when it has an endpoint.
    pub async fn end_session_url(&self, issuer: &str) -> Option<String> {
        self.metadata(issuer, false)
            .await
            .ok()?
            .additional_metadata()
            .end_session_endpoint
            .clone()
    }
}

/// A JSON answer, or why there is none (`what` names the request in the message).
pub(super) async fn read_json<T: serde::de::DeserializeOwned>(
    res: Result<openidconnect::reqwest::Response, openidconnect::reqwest::Error>,
    what: &str,
) -> Result<T, OidcError> {
    let res = res.map_err(|e| OidcError::Provider(format!("{what}: {e}")))?;
    if !res.status().is_success() {
        return Err(OidcError::Provider(format!(
            "{what}: HTTP {}",
            res.status()
        )));
    }
    let bytes = res
        .bytes()
        .await
        .map_err(|e| OidcError::Provider(format!("{what}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Provider(format!("{what}: {e}")))
}

fn client(p: &Provider, meta: &Metadata, redirect_uri: &str) -> Result<OidcClient, OidcError> {
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| OidcError::Provider(format!("redirect URI: {e}")))?;
    let basic = meta
        .token_endpoint_auth_methods_supported()
        .is_none_or(|m| {
            m.iter()
                .any(|a| matches!(a, CoreClientAuthMethod::ClientSecretBasic))
        });
    let client = OidcClient::from_provider_metadata(
        meta.clone(),
        ClientId::new(p.view.client_id.clone()),
        p.client_secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(redirect)
    .set_auth_type(if basic {
        AuthType::BasicAuth
    } else {
        AuthType::RequestBody
    });
    Ok(client)
}

/// Microsoft's common endpoints publish `https://login.microsoftonline.com/{tenantid}/v2.0`.
fn is_tenant_template(published: &str, issuer: &str) -> bool {
    let Some((before, after)) = published.split_once("{tenantid}") else {
        return false;
    };
    issuer.starts_with(before)
        && issuer.ends_with(after)
        && issuer.len() > before.len() + after.len()
        && !issuer[before.len()..issuer.len() - after.len()].contains('/')
}

/// A claim as a list of strings: a string, or an array of strings.
pub(super) fn claim_values(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The provider's error code and description, when it sent them.
fn describe<E: std::error::Error>(e: &E) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_template() {
        let t = "https://login.microsoftonline.com/{tenantid}/v2.0";
        assert!(is_tenant_template(
            t,
            "https://login.microsoftonline.com/common/v2.0"
        ));
        assert!(is_tenant_template(
            t,
            "https://login.microsoftonline.com/72f988bf-86f1/v2.0"
        ));
        assert!(!is_tenant_template(t, "https://evil.example/x/v2.0"));
        assert!(!is_tenant_template(
            t,
            "https://login.microsoftonline.com/a/b/v2.0"
        ));
        assert!(!is_tenant_template(
            "https://id.example",
            "https://id.example"
        ));
    }

    #[test]
    fn claim_shapes() {
        assert_eq!(claim_values(Some(&serde_json::json!("a"))), vec!["a"]);
        assert_eq!(
            claim_values(Some(&serde_json::json!(["a", 1, "b"]))),
            vec!["a", "b"]
        );
        assert!(claim_values(None).is_empty());
    }
}
