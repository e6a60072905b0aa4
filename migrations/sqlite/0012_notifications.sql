-- Notifications, written in the same transaction as the change they tell about. Rows with
-- in_app = 1 form the console's inbox; email/webhook = 1 mark deliveries still to be made by
-- the background sender (2 while one replica holds them), 0 when done or given up.

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    link TEXT,
    in_app INTEGER NOT NULL,
    email INTEGER NOT NULL,
    webhook INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);
CREATE INDEX notifications_pending ON notifications(email, webhook);
