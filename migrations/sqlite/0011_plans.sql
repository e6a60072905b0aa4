-- Tiers: each user is on a plan, by code. The Money features extend these rows with prices,
-- periods and entitlements; the four defaults are changeable there.

CREATE TABLE plans (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO plans (code, name, position, created_at) VALUES
    ('free', 'Free', 0, 0),
    ('starter', 'Starter', 1, 0),
    ('professional', 'Professional', 2, 0),
    ('enterprise', 'Enterprise', 3, 0);

ALTER TABLE users ADD COLUMN tier TEXT NOT NULL DEFAULT 'free';
CREATE INDEX users_tier ON users(tier);
CREATE INDEX org_members_org ON org_members(org_id, role);
