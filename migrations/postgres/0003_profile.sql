-- Profiles (bio, locale, time zone, avatar), notification preferences and the password's age.

ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN locale TEXT NOT NULL DEFAULT 'en';
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN avatar_at BIGINT;          -- when the avatar was set; NULL: none
ALTER TABLE users ADD COLUMN webhook_url TEXT;           -- where webhook notifications go
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;

CREATE TABLE avatars (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,                                 -- re-encoded, 256 px, no metadata
    updated_at BIGINT NOT NULL
);

CREATE TABLE notification_prefs (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    email BIGINT NOT NULL,
    in_app BIGINT NOT NULL,
    webhook BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
