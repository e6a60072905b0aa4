-- Plans get prices and entitlements; every account (a user or an organisation) has one
-- subscription, made on first use on the plan its owner is on (users.tier for a user, free for
-- an organisation). Usage is recorded per event (idempotent by the caller's event id) and
-- counted per period and service. Money is integer micro-units.

ALTER TABLE plans ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE plans ADD COLUMN currency TEXT NOT NULL DEFAULT 'USD';
ALTER TABLE plans ADD COLUMN price_monthly BIGINT NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN price_yearly BIGINT NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN trial_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN included_credits BIGINT NOT NULL DEFAULT 0;
ALTER TABLE plans ADD COLUMN request_limit BIGINT;          -- per period; NULL: unlimited
ALTER TABLE plans ADD COLUMN rate_limit_rpm INTEGER;        -- per minute; NULL: unlimited
ALTER TABLE plans ADD COLUMN overage TEXT NOT NULL DEFAULT 'block';
ALTER TABLE plans ADD COLUMN services TEXT NOT NULL DEFAULT '[]';      -- JSON array
ALTER TABLE plans ADD COLUMN features TEXT NOT NULL DEFAULT '[]';      -- JSON array
ALTER TABLE plans ADD COLUMN model_groups TEXT NOT NULL DEFAULT '[]';  -- JSON array
ALTER TABLE plans ADD COLUMN public INTEGER NOT NULL DEFAULT 1;
ALTER TABLE plans ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

UPDATE plans SET description = 'Try the platform: basic models, a small monthly allowance.',
    included_credits = 1000000, request_limit = 1000, rate_limit_rpm = 20, overage = 'block',
    services = '["chat","embeddings"]', model_groups = '["basic"]', features = '[]'
    WHERE code = 'free';
UPDATE plans SET description = 'For individuals building with AI.',
    price_monthly = 19000000, price_yearly = 190000000, trial_days = 14,
    included_credits = 10000000, request_limit = 50000, rate_limit_rpm = 60, overage = 'credits',
    services = '["chat","embeddings","images","audio"]', model_groups = '["basic","standard"]',
    features = '["api_keys","byok"]'
    WHERE code = 'starter';
UPDATE plans SET description = 'For teams in production.',
    price_monthly = 49000000, price_yearly = 490000000, trial_days = 14,
    included_credits = 30000000, request_limit = 250000, rate_limit_rpm = 300, overage = 'credits',
    services = '["chat","embeddings","images","audio","rerank"]',
    model_groups = '["basic","standard","premium"]',
    features = '["api_keys","byok","usage_export","priority_support"]'
    WHERE code = 'professional';
UPDATE plans SET description = 'Unlimited requests, every model, automatic top-up.',
    price_monthly = 199000000, price_yearly = 1990000000,
    included_credits = 150000000, rate_limit_rpm = 1200, overage = 'top_up',
    services = '["chat","embeddings","images","audio","rerank"]',
    model_groups = '["basic","standard","premium","frontier"]',
    features = '["api_keys","byok","usage_export","priority_support","sso","audit_export"]'
    WHERE code = 'enterprise';

CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL CHECK (owner_kind IN ('user', 'org')),
    owner_id TEXT NOT NULL,
    plan_code TEXT NOT NULL REFERENCES plans(code),
    billing_interval TEXT NOT NULL DEFAULT 'month',
    status TEXT NOT NULL,                 -- trialing, active, past_due, suspended
    anchor_at BIGINT NOT NULL,              -- periods are whole months counted from here
    period_start BIGINT NOT NULL,
    period_end BIGINT NOT NULL,
    trial_end BIGINT,
    trial_used INTEGER NOT NULL DEFAULT 0,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    cancel_reason TEXT,
    next_plan_code TEXT REFERENCES plans(code),
    next_interval TEXT,
    past_due_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id)
);
CREATE INDEX subscriptions_due ON subscriptions(period_end);
CREATE INDEX subscriptions_plan ON subscriptions(plan_code);

CREATE TABLE subscription_events (
    id TEXT PRIMARY KEY NOT NULL,
    subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
    kind TEXT NOT NULL,
    from_plan TEXT,
    to_plan TEXT,
    amount BIGINT NOT NULL DEFAULT 0,
    detail TEXT,
    actor_id TEXT,
    request_key TEXT,                     -- the Idempotency-Key of the change, if any
    created_at BIGINT NOT NULL
);
CREATE INDEX subscription_events_sub ON subscription_events(subscription_id, created_at);
CREATE UNIQUE INDEX subscription_events_key ON subscription_events(subscription_id, request_key);

CREATE TABLE usage_events (
    id TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    event_id TEXT NOT NULL,               -- the caller's id: a retry records nothing twice
    user_id TEXT,                         -- who made the request
    service TEXT NOT NULL,
    model TEXT,
    quantity BIGINT NOT NULL,               -- tokens, images, seconds…
    cost BIGINT NOT NULL,                   -- micro-units charged to the ledger
    period_start BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id, event_id)
);
CREATE INDEX usage_events_owner ON usage_events(owner_kind, owner_id, created_at);

CREATE TABLE usage_counters (
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    period_start BIGINT NOT NULL,
    service TEXT NOT NULL,
    requests BIGINT NOT NULL DEFAULT 0,
    quantity BIGINT NOT NULL DEFAULT 0,
    cost BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (owner_kind, owner_id, period_start, service)
);
