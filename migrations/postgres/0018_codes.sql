-- Codes customers redeem: credit codes (each redemption grants credits) and coupons (a
-- percentage off plan prices, for some months or for good). Codes come in batches. Generated
-- codes are shown once, when the batch is made, and kept only as hashes; a coupon has the one
-- code its administrator chose. Each account redeems a batch at most once.

CREATE TABLE code_batches (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('credit', 'coupon')),
    name TEXT NOT NULL,
    amount BIGINT NOT NULL DEFAULT 0,           -- credit: micro-units per redemption
    bucket TEXT NOT NULL DEFAULT 'granted',   -- credit: paid or granted
    credit_days INTEGER,                      -- credit: the credits expire so many days after
    percent_off INTEGER NOT NULL DEFAULT 0,   -- coupon: 1 to 100
    months INTEGER,                           -- coupon: how long it lasts; NULL: for good
    plans TEXT NOT NULL DEFAULT '[]',         -- coupon: the plans it applies to; []: all
    uses_per_code INTEGER NOT NULL DEFAULT 1,
    codes INTEGER NOT NULL,
    valid_until BIGINT,
    revoked_at BIGINT,
    created_by TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE redemption_codes (
    id TEXT PRIMARY KEY NOT NULL,
    batch_id TEXT NOT NULL REFERENCES code_batches(id),
    code_hash TEXT NOT NULL UNIQUE,           -- SHA-256 of the normalised code
    hint TEXT NOT NULL,                       -- its last four characters
    uses INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX redemption_codes_batch ON redemption_codes(batch_id);

CREATE TABLE code_redemptions (
    id TEXT PRIMARY KEY NOT NULL,
    code_id TEXT NOT NULL REFERENCES redemption_codes(id),
    batch_id TEXT NOT NULL REFERENCES code_batches(id),
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (batch_id, owner_kind, owner_id)
);

-- The coupon in force on a subscription.
ALTER TABLE subscriptions ADD COLUMN coupon_batch_id TEXT REFERENCES code_batches(id);
ALTER TABLE subscriptions ADD COLUMN coupon_until BIGINT;   -- NULL: for good
