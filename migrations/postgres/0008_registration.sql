-- Self-registration: an address is confirmed by an e-mailed link before its account signs in.
-- Accounts made by an administrator, the setup link or the command line count as confirmed.

ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
UPDATE users SET email_verified_at = created_at;
