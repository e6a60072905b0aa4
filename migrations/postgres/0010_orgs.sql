-- Organisations: members with an organisation role, e-mailed invitations (only a hash of the
-- token is stored), a logo, the user's active organisation and API keys scoped to one.

CREATE TABLE orgs (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    default_role TEXT NOT NULL DEFAULT 'member'
        CHECK (default_role IN ('admin', 'billing_admin', 'member')),
    join_domain TEXT,                        -- people with a verified address here may join
    suspended INTEGER NOT NULL DEFAULT 0,    -- set by a platform administrator
    logo_at BIGINT,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX orgs_join_domain ON orgs(join_domain);

CREATE TABLE org_members (
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'billing_admin', 'member')),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user ON org_members(user_id);

CREATE TABLE org_invites (
    id TEXT PRIMARY KEY NOT NULL,
    org_id TEXT NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'billing_admin', 'member')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX org_invites_org ON org_invites(org_id);

CREATE TABLE org_logos (
    org_id TEXT PRIMARY KEY NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    updated_at BIGINT NOT NULL
);

ALTER TABLE users ADD COLUMN active_org_id TEXT REFERENCES orgs(id) ON DELETE SET NULL;
ALTER TABLE api_keys ADD COLUMN org_id TEXT REFERENCES orgs(id) ON DELETE CASCADE;
