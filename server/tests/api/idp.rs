//! A stub identity provider for the SSO tests: OIDC discovery, keys, a token endpoint that
//! checks the client secret and the PKCE verifier and signs ID tokens (RS256, a key made by
//! `openssl genrsa` per run), userinfo, and GitHub's OAuth2 and REST endpoints. Tests decide
//! each grant's claims, and may spoil the token on purpose.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};
use sha2::Digest;

pub const CLIENT_ID: &str = "ops-test";
pub const CLIENT_SECRET: &str = "stub-client-secret";

/// How the next token answer goes wrong, if at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoil {
    None,
    /// The payload changed after signing.
    Tampered,
    /// Signed with another key of the same id.
    OtherKey,
}

#[derive(Clone)]
struct Grant {
    challenge: String,
    redirect_uri: String,
    id_claims: Value,
    spoil: Spoil,
}

#[derive(Default)]
struct Inner {
    grants: HashMap<String, Grant>,
    /// access token → userinfo / GitHub answers
    tokens: HashMap<String, Value>,
}

#[derive(Clone)]
pub struct Idp {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "-traditional", "2048"])
            .output()
            .expect("openssl (the Debian package) makes the stub provider's key");
        assert!(out.status.success(), "openssl genrsa failed");
        String::from_utf8(out.stdout).unwrap()
    })
}

fn other_pem() -> &'static str {
    static PEM: OnceLock<String> = OnceLock::new();
    PEM.get_or_init(|| {
        let out = std::process::Command::new("openssl")
            .args(["genrsa", "-traditional", "2048"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    })
}

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
}

fn sign(claims: &Value, spoil: Spoil) -> String {
    let header = B64.encode(json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}).to_string());
    let payload = B64.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let signer = key(if spoil == Spoil::OtherKey {
        other_pem()
    } else {
        pem()
    });
    let sig = signer
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            input.as_bytes(),
        )
        .unwrap();
    let payload = if spoil == Spoil::Tampered {
        let mut c = claims.clone();
        c["email"] = json!("someone-else@example.com");
        B64.encode(c.to_string())
    } else {
        payload
    };
    format!("{header}.{payload}.{}", B64.encode(sig))
}

impl Idp {
    pub async fn start() -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let idp = Idp {
            issuer,
            inner: Arc::default(),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .route("/login/oauth/access_token", post(github_token))
            .route(
                "/api/v3",
                get(|| async { Json(json!({"current_user_url": "/user"})) }),
            )
            .route("/api/v3/user", get(github_user))
            .route("/api/v3/user/emails", get(github_emails))
            .route("/api/v3/user/orgs", get(github_orgs))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        idp
    }

    /// Answers the authorization request the app sent the browser to (`authorize_url`) as a
    /// provider would after sign-in: a code for a grant carrying `claims` (merged over the
    /// standard ones). Returns the callback path and query the browser would be sent to.
    pub fn approve(&self, authorize_url: &str, claims: Value, spoil: Spoil) -> String {
        let url = reqwest::Url::parse(authorize_url).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(
            q.get("code_challenge_method").map(String::as_str),
            Some("S256")
        );
        let now = ops_db::now_ms() / 1000;
        let mut id_claims = json!({
            "iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
            "nonce": q.get("nonce").cloned().unwrap_or_default(),
        });
        for (k, v) in claims.as_object().unwrap() {
            id_claims[k] = v.clone();
        }
        let code = ops_db::new_id();
        self.inner.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                challenge: q["code_challenge"].clone(),
                redirect_uri: q["redirect_uri"].clone(),
                id_claims,
                spoil,
            },
        );
        let redirect = reqwest::Url::parse(&q["redirect_uri"]).unwrap();
        let mut back = reqwest::Url::parse(&format!("http://x{}", redirect.path())).unwrap();
        back.query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", &q["state"])
            .append_pair("iss", &self.issuer);
        format!("{}?{}", back.path(), back.query().unwrap())
    }
}

async fn discovery(State(idp): State<Idp>) -> Json<Value> {
    let i = &idp.issuer;
    Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/auth"),
        "token_endpoint": format!("{i}/token"),
        "userinfo_endpoint": format!("{i}/userinfo"),
        "jwks_uri": format!("{i}/jwks"),
        "end_session_endpoint": format!("{i}/session/end"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    }))
}

async fn jwks() -> Json<Value> {
    let k = key(pem()).as_verification_key();
    Json(json!({ "keys": [serde_json::to_value(k).unwrap()] }))
}

fn basic_auth_ok(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

fn s256(verifier: &str) -> String {
    B64.encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn token_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response()
}

/// Takes the grant for a code once, checking the verifier and redirect URI.
fn redeem(idp: &Idp, form: &HashMap<String, String>) -> Option<Grant> {
    let code = form.get("code")?;
    let grant = idp.inner.lock().unwrap().grants.remove(code)?;
    let verifier = form.get("code_verifier")?;
    (s256(verifier) == grant.challenge && form.get("redirect_uri") == Some(&grant.redirect_uri))
        .then_some(grant)
}

async fn token(
    State(idp): State<Idp>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if !basic_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let Some(grant) = redeem(&idp, &form) else {
        return token_error("invalid_grant");
    };
    let access = ops_db::new_id();
    idp.inner
        .lock()
        .unwrap()
        .tokens
        .insert(access.clone(), grant.id_claims.clone());
    Json(json!({
        "access_token": access, "token_type": "Bearer", "expires_in": 300,
        "id_token": sign(&grant.id_claims, grant.spoil),
    }))
    .into_response()
}

fn bearer_claims(idp: &Idp, headers: &HeaderMap) -> Option<Value> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .to_string();
    idp.inner.lock().unwrap().tokens.get(&token).cloned()
}

async fn userinfo(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    match bearer_claims(&idp, &headers) {
        Some(c) => Json(c.get("userinfo").cloned().unwrap_or(c)).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn github_token(
    State(idp): State<Idp>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return Json(json!({"error": "incorrect_client_credentials"})).into_response();
    }
    match redeem(&idp, &form) {
        // GitHub answers errors with 200.
        None => Json(json!({"error": "bad_verification_code"})).into_response(),
        Some(grant) => {
            let access = ops_db::new_id();
            idp.inner
                .lock()
                .unwrap()
                .tokens
                .insert(access.clone(), grant.id_claims);
            Json(json!({"access_token": access, "token_type": "bearer", "scope": "read:user"}))
                .into_response()
        }
    }
}

async fn github_part(idp: &Idp, headers: &HeaderMap, part: &str) -> Response {
    match bearer_claims(idp, headers) {
        Some(c) => Json(c[part].clone()).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn github_user(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    github_part(&idp, &headers, "gh_user").await
}

async fn github_emails(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    github_part(&idp, &headers, "gh_emails").await
}

async fn github_orgs(State(idp): State<Idp>, headers: HeaderMap) -> Response {
    github_part(&idp, &headers, "gh_orgs").await
}
