-- The AI gateway: upstream providers (credentials sealed with the master key), the public model
-- catalogue with prices, the deployments that serve each model, the per-request log that
-- explains every charge and refusal, and daily rollups so analytics stay fast.
-- Prices are micro-USD per million tokens; costs are micro-units of the account's currency.

CREATE TABLE llm_providers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,                   -- openai, anthropic, gemini, azure, openrouter, openai_compatible
    base_url TEXT NOT NULL,
    api_key_sealed TEXT,                  -- AES-256-GCM under the master key; NULL: no key
    key_hint TEXT,
    api_version TEXT,                     -- Azure's api-version, Anthropic's version header
    enabled INTEGER NOT NULL DEFAULT 1,
    connect_timeout_ms INTEGER NOT NULL DEFAULT 5000,
    first_byte_timeout_ms INTEGER NOT NULL DEFAULT 60000,
    total_timeout_ms INTEGER NOT NULL DEFAULT 600000,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE llm_models (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,            -- the public name clients send
    aliases TEXT NOT NULL DEFAULT '[]',   -- JSON array of other names
    model_group TEXT NOT NULL,            -- what plans open
    kind TEXT NOT NULL DEFAULT 'chat',    -- chat, embeddings
    input_price BIGINT NOT NULL,          -- micro-USD per million input tokens
    output_price BIGINT NOT NULL,         -- micro-USD per million output tokens
    max_output_tokens INTEGER NOT NULL DEFAULT 4096,
    routing TEXT NOT NULL DEFAULT 'priority',   -- priority, latency, cost
    retries INTEGER NOT NULL DEFAULT 2,   -- further attempts after a retryable failure
    fallbacks TEXT NOT NULL DEFAULT '[]', -- JSON array: models tried when every deployment failed
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE llm_deployments (
    id TEXT PRIMARY KEY NOT NULL,
    model_id TEXT NOT NULL REFERENCES llm_models(id) ON DELETE CASCADE,
    provider_id TEXT NOT NULL REFERENCES llm_providers(id) ON DELETE CASCADE,
    upstream_model TEXT NOT NULL,         -- the name the provider knows
    priority INTEGER NOT NULL DEFAULT 0,  -- lower tiers are tried first; later tiers are fallbacks
    weight INTEGER NOT NULL DEFAULT 1,    -- share of traffic inside a tier
    input_cost BIGINT NOT NULL DEFAULT 0, -- what the provider charges us, micro-USD per million
    output_cost BIGINT NOT NULL DEFAULT 0,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX llm_deployments_model ON llm_deployments (model_id);

CREATE TABLE llm_requests (
    id TEXT PRIMARY KEY NOT NULL,
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,                 -- the API key's public id ('' for a console session)
    user_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,             -- whose account paid: user or org
    owner_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,               -- chat, completions, embeddings, messages
    model TEXT NOT NULL,
    stream INTEGER NOT NULL,
    provider TEXT NOT NULL,               -- the provider that served it ('' when none did)
    deployment_id TEXT,
    credential TEXT NOT NULL,             -- platform or byok
    status INTEGER NOT NULL,
    error_code TEXT,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    counted INTEGER NOT NULL,             -- 1: usage counted by us (the upstream gave none)
    reserved BIGINT NOT NULL,
    cost BIGINT NOT NULL,                 -- charged
    list_cost BIGINT NOT NULL,            -- at the model's prices (what a platform key would have cost)
    latency_ms INTEGER NOT NULL,
    first_byte_ms INTEGER,
    attempts TEXT NOT NULL,               -- JSON: every attempt with its outcome
    explain TEXT NOT NULL,                -- the price formula with its numbers, or the refusal
    ledger_entry TEXT                     -- the ledger entry that charged it
);
CREATE INDEX llm_requests_owner ON llm_requests (owner_kind, owner_id, at);
CREATE INDEX llm_requests_at ON llm_requests (at);
CREATE INDEX llm_requests_key ON llm_requests (key_id, at);

CREATE TABLE llm_daily (
    day TEXT NOT NULL,                    -- YYYY-MM-DD (UTC)
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key_id TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    credential TEXT NOT NULL,             -- platform or byok
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost BIGINT NOT NULL,
    list_cost BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,           -- summed; divided by requests for the mean
    PRIMARY KEY (day, owner_kind, owner_id, user_id, key_id, model, provider, credential)
);
CREATE INDEX llm_daily_owner ON llm_daily (owner_kind, owner_id, day);

-- Limits on each platform API key, enforced by the gateway: which models it may call (JSON
-- array; NULL: all its plan opens), a budget per period (micro-units; spend is summed from
-- llm_daily, so it resets on the period's UTC boundary), requests and tokens per minute.
ALTER TABLE api_keys ADD COLUMN allowed_models TEXT;
ALTER TABLE api_keys ADD COLUMN budget BIGINT;
ALTER TABLE api_keys ADD COLUMN budget_period TEXT;     -- day, week, month
ALTER TABLE api_keys ADD COLUMN rpm_limit INTEGER;
ALTER TABLE api_keys ADD COLUMN tpm_limit INTEGER;
CREATE INDEX llm_daily_key ON llm_daily (key_id, day);

-- Users' and organisations' own provider keys (BYOK), one per provider kind, sealed with the
-- master key. `policy`: prioritized (mine first), fallback (mine when the platform's fails),
-- always (mine only). `status` turns to failing when the provider refuses the key.
CREATE TABLE byok_keys (
    id TEXT PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    provider TEXT NOT NULL,               -- openai, anthropic, gemini, openrouter
    key_sealed TEXT NOT NULL,
    key_hint TEXT NOT NULL,
    policy TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'ok',    -- ok, failing
    last_error TEXT,
    last_error_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (owner_kind, owner_id, provider)
);

-- What a plan pays for AI requests, as a percentage of the models' list prices (NULL: 100).
ALTER TABLE plans ADD COLUMN llm_price_percent BIGINT;
