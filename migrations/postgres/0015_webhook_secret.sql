-- Notification webhooks are signed (Standard Webhooks: HMAC-SHA256 over id.timestamp.body).
-- The signing secret is sealed with the master key; the hint is its masked form.
ALTER TABLE users ADD COLUMN webhook_secret TEXT;
ALTER TABLE users ADD COLUMN webhook_secret_hint TEXT;
