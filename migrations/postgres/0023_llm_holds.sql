-- Holds: how several replicas share one account's credits and one API key's budget without
-- overspending them. Each replica holds a part of what may be spent (`amount`, micro-units)
-- and admits requests against its own part in memory; it takes more in a short transaction
-- that checks what the others hold, gives back what it does not use, and renews its holds
-- while it runs. A replica that stops renewing (it crashed) no longer counts after
-- `expires_at`. `scope`: `user:ID` or `org:ID` (an account's credits), `key:ROW:START` (a
-- key's budget in the period starting at START). The row with replica '' is the scope's lock.
CREATE TABLE llm_holds (
    scope TEXT NOT NULL,
    replica TEXT NOT NULL,
    amount BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (scope, replica)
);
CREATE INDEX llm_holds_replica ON llm_holds (replica);
