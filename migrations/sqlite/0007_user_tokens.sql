-- Single-use links sent by e-mail (password reset now; invitations and address checks later).

CREATE TABLE user_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,  -- SHA-256 of the token in the link
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX user_tokens_user ON user_tokens(user_id, purpose);
