-- Single sign-on: providers configured in the console or the config file (client secrets sealed
-- with the master key), and the outside identities linked to local accounts.

CREATE TABLE sso_providers (
    id TEXT PRIMARY KEY NOT NULL,
    slug TEXT NOT NULL UNIQUE,              -- /auth/login/{slug}
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('keycloak', 'google', 'microsoft', 'oidc', 'github')),
    issuer TEXT NOT NULL,                   -- OIDC issuer; GitHub: the API address
    client_id TEXT NOT NULL,
    client_secret TEXT,                     -- sealed (ops-secrets)
    scopes TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    create_users INTEGER NOT NULL DEFAULT 0,
    allowed_domains TEXT NOT NULL DEFAULT '',   -- comma-separated, lower-case
    role_claim TEXT NOT NULL DEFAULT '',
    role_map TEXT NOT NULL DEFAULT '[]',        -- JSON [{"value": "...", "role": "..."}]
    default_role TEXT NOT NULL DEFAULT 'viewer',
    sync_role INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'console',     -- console | config
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE user_identities (
    provider_id TEXT NOT NULL REFERENCES sso_providers(id) ON DELETE CASCADE,
    subject TEXT NOT NULL,                  -- the provider's stable user id (sub)
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT,
    PRIMARY KEY (provider_id, subject)
);
CREATE INDEX user_identities_user ON user_identities(user_id);
