-- The kinds of device (browser and system) each person has signed in from, so a sign-in from
-- a new one can be told to them.
CREATE TABLE known_devices (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device TEXT NOT NULL,                    -- "Firefox on Linux"
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device)
);
