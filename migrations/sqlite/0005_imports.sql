-- User imports run as jobs: progress is read from here (by any replica) while they run.

CREATE TABLE import_jobs (
    id TEXT PRIMARY KEY NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    total INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    report TEXT,                       -- ImportReport as JSON, once finished
    finished_at INTEGER
);
