-- Stripe webhook deliveries, each recorded once by its event id (a replay does nothing), and
-- per Stripe object the creation time of the newest event applied to it (an older event that
-- arrives late is recorded as stale and not applied).

CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY NOT NULL,         -- evt_…
    type TEXT NOT NULL,
    object_id TEXT,
    created BIGINT NOT NULL,                -- Stripe's time of the event (unix seconds)
    status TEXT NOT NULL,                 -- processed, stale, ignored
    received_at BIGINT NOT NULL
);

CREATE TABLE stripe_objects (
    object_id TEXT PRIMARY KEY NOT NULL,
    last_event_created BIGINT NOT NULL
);
