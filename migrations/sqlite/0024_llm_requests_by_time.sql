-- The request log, stored in time order: the table is keyed by (at, id), so the newest-first
-- listing and the retention's oldest-first deletes read it in key order, and a written row
-- goes into two trees (the table and the owner index) instead of five (the table, the id key,
-- and the at, key and owner indexes). A filter by API key goes through the key's owner.
-- Rows are never written twice: a batch written again (replayed from the journal) carries the
-- same (at, id). A billed request keeps its prices as numbers and the log makes the price
-- formula from them when it is read: `explain` holds only what cannot be made (NULL prices:
-- rows written before this, whose `explain` has the whole text).
CREATE TABLE llm_requests_by_time (
    id TEXT NOT NULL,
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
    attempts TEXT NOT NULL,               -- JSON: every attempt; '' for one successful attempt
    input_price BIGINT,                   -- billed at: micro-units per million input tokens
    output_price BIGINT,                  -- … and output tokens
    price_percent INTEGER,                -- % of the list price charged (plan price, or BYOK fee)
    explain TEXT NOT NULL,                -- the refusal or failure; for a billed request the notes
                                          -- after the price formula (made from the numbers)
    ledger_entry TEXT,                    -- the ledger entry that charged it
    PRIMARY KEY (at, id)
) WITHOUT ROWID;
INSERT INTO llm_requests_by_time (id, at, key_id, user_id, owner_kind, owner_id, endpoint, model,
    stream, provider, deployment_id, credential, status, error_code, input_tokens, output_tokens,
    counted, reserved, cost, list_cost, latency_ms, first_byte_ms, attempts, explain, ledger_entry)
SELECT id, at, key_id, user_id, owner_kind, owner_id, endpoint, model, stream, provider,
    deployment_id, credential, status, error_code, input_tokens, output_tokens, counted, reserved,
    cost, list_cost, latency_ms, first_byte_ms, attempts, explain, ledger_entry
FROM llm_requests;
DROP TABLE llm_requests;
ALTER TABLE llm_requests_by_time RENAME TO llm_requests;
CREATE INDEX llm_requests_owner ON llm_requests (owner_kind, owner_id, at);
