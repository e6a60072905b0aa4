-- Card payments through Stripe: each account's Stripe customer and default card, its auto
-- top-up rule, and every charge we asked Stripe to make without the card holder present
-- (auto top-ups, renewals), with its outcome; the monthly cap is summed from these rows.

ALTER TABLE billing_accounts ADD COLUMN stripe_customer_id TEXT;
ALTER TABLE billing_accounts ADD COLUMN default_payment_method TEXT;
ALTER TABLE billing_accounts ADD COLUMN topup_threshold BIGINT;      -- NULL: auto top-up off
ALTER TABLE billing_accounts ADD COLUMN topup_amount BIGINT;
ALTER TABLE billing_accounts ADD COLUMN topup_monthly_cap BIGINT;

CREATE TABLE card_charges (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES billing_accounts(id),
    purpose TEXT NOT NULL,                -- topup, renewal
    request_key TEXT NOT NULL UNIQUE,     -- the idempotency key sent to Stripe
    amount BIGINT NOT NULL,               -- micro-units
    currency TEXT NOT NULL,
    status TEXT NOT NULL,                 -- pending, succeeded, failed
    payment_intent TEXT,
    error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX card_charges_account ON card_charges (account_id, created_at);
