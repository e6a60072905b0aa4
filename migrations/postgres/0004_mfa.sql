-- Two-factor sign-in (TOTP with recovery codes) and console-editable settings.

CREATE TABLE mfa_totp (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,       -- base32 seed, sealed with the master key
    created_at BIGINT NOT NULL,
    enabled_at BIGINT,                -- NULL while enrolment is unconfirmed
    last_step BIGINT                  -- the last accepted 30 s step: a code works once
);

CREATE TABLE mfa_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,           -- SHA-256 of the normalised code
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,               -- JSON
    updated_at BIGINT NOT NULL,
    updated_by TEXT
);
