//! Single sign-on: OpenID Connect providers (Keycloak, Google, Microsoft, any issuer) and
//! GitHub over OAuth2, as the console configures them and as the sign-in page lists them.

use serde::{Deserialize, Serialize};

use crate::Role;

/// The kinds of provider. Each OIDC preset only pre-fills the issuer and the claims to map;
/// the flow is the same standard one.
pub const SSO_KINDS: [SsoKind; 5] = [
    SsoKind {
        id: "keycloak",
        label: "Keycloak",
        issuer: "https://keycloak.example.com/realms/main",
        role_claim: "groups",
        scopes: "openid email profile",
        hint: "The realm's issuer, https://host/realms/<realm>. Add a \"groups\" mapper to the client to map groups to roles.",
    },
    SsoKind {
        id: "google",
        label: "Google",
        issuer: "https://accounts.google.com",
        role_claim: "hd",
        scopes: "openid email profile",
        hint: "Create an OAuth client of type \"Web application\" in Google Cloud. The hd claim is the Workspace domain.",
    },
    SsoKind {
        id: "microsoft",
        label: "Microsoft Entra ID",
        issuer: "https://login.microsoftonline.com/common/v2.0",
        role_claim: "roles",
        scopes: "openid email profile",
        hint: "Use your tenant id in place of common to admit one organisation only. App roles arrive in the roles claim.",
    },
    SsoKind {
        id: "oidc",
        label: "OpenID Connect",
        issuer: "https://id.example.com",
        role_claim: "groups",
        scopes: "openid email profile",
        hint: "Any provider that publishes /.well-known/openid-configuration.",
    },
    SsoKind {
        id: "github",
        label: "GitHub",
        issuer: "https://api.github.com",
        role_claim: "orgs",
        scopes: "read:user user:email",
        hint: "The API address: https://api.github.com, or https://host/api/v3 for GitHub Enterprise Server. Map orgs or teams (org/team) to roles; add the read:org scope for that.",
    },
];

/// One kind of provider and what the console pre-fills for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SsoKind {
    pub id: &'static str,
    pub label: &'static str,
    pub issuer: &'static str,
    pub role_claim: &'static str,
    pub scopes: &'static str,
    pub hint: &'static str,
}

impl SsoKind {
    pub fn find(id: &str) -> Option<&'static SsoKind> {
        SSO_KINDS.iter().find(|k| k.id == id)
    }
}

/// A claim value that grants a role (`groups` contains `admins` → admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleMapping {
    pub value: String,
    pub role: Role,
}

/// A provider as the console shows it: the client secret only as a masked hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoProvider {
    pub id: String,
    /// In the sign-in address: `/auth/login/{slug}`.
    pub slug: String,
    /// On the sign-in button.
    pub name: String,
    /// `keycloak`, `google`, `microsoft`, `oidc` or `github`.
    pub kind: String,
    /// The OIDC issuer; for GitHub the API address.
    pub issuer: String,
    pub client_id: String,
    pub client_secret_hint: Option<String>,
    /// Space-separated.
    pub scopes: String,
    pub enabled: bool,
    /// Create an account on the first sign-in; otherwise only sign in (and link by verified
    /// e-mail) people who already have one.
    pub create_users: bool,
    /// Only addresses in these domains may sign in; empty: any.
    pub allowed_domains: Vec<String>,
    /// The claim whose values `role_map` matches (`groups`, `roles`; GitHub: `orgs`, `teams`).
    pub role_claim: String,
    pub role_map: Vec<RoleMapping>,
    /// The role of new accounts that no mapping matches.
    pub default_role: Role,
    /// Set the role from the mapping at every sign-in, not only the first.
    pub sync_role: bool,
    /// `console`, or `config` when the config file defines it (then read-only here).
    pub source: String,
    /// People who have signed in through it.
    pub linked_users: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// `POST|PUT /api/v1/admin/sso/providers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoProviderForm {
    pub slug: String,
    pub name: String,
    pub kind: String,
    pub issuer: String,
    pub client_id: String,
    /// Absent: keep the stored one.
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub scopes: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub create_users: bool,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub role_claim: String,
    #[serde(default)]
    pub role_map: Vec<RoleMapping>,
    #[serde(default = "viewer")]
    pub default_role: Role,
    #[serde(default)]
    pub sync_role: bool,
}

fn yes() -> bool {
    true
}

fn viewer() -> Role {
    Role::Viewer
}

/// `POST /api/v1/admin/sso/providers/{id}/check`: what discovery found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoCheck {
    pub ok: bool,
    pub message: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    pub signing_keys: usize,
    /// The address to register at the provider.
    pub redirect_uri: String,
}

/// A sign-in button: `GET /api/v1/auth/sso/providers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SsoButton {
    pub slug: String,
    pub name: String,
    pub kind: String,
}

/// An outside account linked to the caller: `GET /api/v1/auth/identities`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedIdentity {
    pub provider_id: String,
    pub provider_slug: String,
    pub provider_name: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_login_at: Option<i64>,
}

/// Why an SSO sign-in came back to `/login?sso_error=…`; the page says it in words.
pub fn sso_error_message(code: &str) -> &'static str {
    match code {
        "expired" => "The sign-in took too long or was started in another window. Try again.",
        "state" => "The answer from the identity provider did not match this sign-in. Try again.",
        "denied" => "The identity provider did not sign you in.",
        "provider" => {
            "The identity provider could not be reached or is not set up correctly. Ask an administrator."
        }
        "token" => {
            "The identity provider's answer could not be verified, so you were not signed in."
        }
        "no_account" => "There is no account for this identity here. Ask an administrator for one.",
        "domain" => "Your e-mail domain is not allowed to sign in with this provider.",
        "unverified" => {
            "An account with this e-mail exists, but the provider has not verified the address. Sign in with your password and link the provider under Account → Security."
        }
        "no_email" => "The identity provider did not share your e-mail address.",
        "suspended" => "This account is suspended.",
        "taken" => "This identity is already linked to another account.",
        _ => "Single sign-on failed. Try again.",
    }
}
