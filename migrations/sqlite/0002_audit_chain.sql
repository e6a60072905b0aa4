-- The audit log becomes a hash chain: each row carries its sequence number, the hash of the
-- row before it and its own hash, so an edited, inserted or deleted row is detectable.
-- `audit_head` holds the chain's tip; appending updates it first, which serialises writers.

ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
ALTER TABLE audit_events ADD COLUMN target_label TEXT;   -- the target's name when it was written
ALTER TABLE audit_events ADD COLUMN org_id TEXT;
ALTER TABLE audit_events ADD COLUMN impersonator_id TEXT; -- the admin acting as actor_id
CREATE UNIQUE INDEX audit_events_seq ON audit_events(seq);
CREATE INDEX audit_events_actor ON audit_events(actor_id, at);
CREATE INDEX audit_events_target ON audit_events(target, at);
CREATE INDEX audit_events_action ON audit_events(action, at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
