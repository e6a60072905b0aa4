-- API keys gain an expiry and rotation: a rotated key names its successor and keeps working
-- until the grace period ends (its expires_at).

ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
ALTER TABLE api_keys ADD COLUMN replaced_by TEXT;
