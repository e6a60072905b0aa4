-- One ledger for credits and charges, per account (a user or an organisation). Money is integer
-- micro-units of the account's currency (1 USD = 1 000 000). Entries are only ever appended;
-- the balances on billing_accounts and the lots' remaining amounts are caches of them, checked
-- by `ops-center billing check`.

CREATE TABLE billing_accounts (
    id TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'org')),
    owner_id TEXT NOT NULL,
    currency TEXT NOT NULL DEFAULT 'USD',
    paid BIGINT NOT NULL DEFAULT 0,       -- cached: paid credits left
    granted BIGINT NOT NULL DEFAULT 0,    -- cached: granted (free) credits left
    last_seq BIGINT NOT NULL DEFAULT 0,   -- the newest entry's seq
    created_at BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id)
);

CREATE TABLE ledger_entries (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES billing_accounts(id),
    seq BIGINT NOT NULL,                  -- 1, 2, 3… within the account
    kind TEXT NOT NULL,                   -- grant, purchase, spend, deduct, refund, expiry
    paid_delta BIGINT NOT NULL,
    granted_delta BIGINT NOT NULL,
    paid_after BIGINT NOT NULL,
    granted_after BIGINT NOT NULL,
    reason TEXT,
    reference TEXT,                       -- what it is for: a request id, an invoice…
    idempotency_key TEXT,
    request_hash TEXT,                    -- what the key was first used for
    actor_id TEXT,
    created_at BIGINT NOT NULL,
    UNIQUE (account_id, seq),
    UNIQUE (account_id, idempotency_key)
);
CREATE INDEX ledger_entries_account ON ledger_entries(account_id, seq);

-- Credits as they came in: each grant or purchase is a lot, spent in priority order (lower
-- first, then the soonest to expire, then the oldest).
CREATE TABLE credit_lots (
    id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL REFERENCES billing_accounts(id),
    entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
    bucket TEXT NOT NULL CHECK (bucket IN ('paid', 'granted')),
    amount BIGINT NOT NULL CHECK (amount > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0),
    priority INTEGER NOT NULL,
    expires_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX credit_lots_open ON credit_lots(account_id, remaining);

-- Which lots each debit drew from, and how much.
CREATE TABLE ledger_draws (
    entry_id TEXT NOT NULL REFERENCES ledger_entries(id),
    lot_id TEXT NOT NULL REFERENCES credit_lots(id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    PRIMARY KEY (entry_id, lot_id)
);
