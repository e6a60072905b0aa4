-- The request log, keyed by (at, id): the newest-first listing and the retention's oldest-first
-- deletes read the key in order, and a written row updates two indexes (the key and the owner
-- index) instead of four. A filter by API key goes through the key's owner. Rows are never
-- written twice: a batch written again (replayed from the journal) carries the same (at, id).
ALTER TABLE llm_requests DROP CONSTRAINT llm_requests_pkey;
ALTER TABLE llm_requests ADD PRIMARY KEY (at, id);
DROP INDEX llm_requests_at;
DROP INDEX llm_requests_key;
-- A billed request keeps its prices as numbers and the log makes the price formula from them
-- when it is read: `explain` holds only what cannot be made (NULL prices: rows written before
-- this, whose `explain` has the whole text).
ALTER TABLE llm_requests ADD COLUMN input_price BIGINT;
ALTER TABLE llm_requests ADD COLUMN output_price BIGINT;
ALTER TABLE llm_requests ADD COLUMN price_percent INTEGER;
