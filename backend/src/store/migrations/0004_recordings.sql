-- Terminal recordings (asciicast files in the recordings folder, named by id). A session's
-- recordings go when it ends (the session column turns NULL and the sweep removes them),
-- unless a class keeps them.
CREATE TABLE recordings (
    id TEXT PRIMARY KEY,
    session TEXT REFERENCES sessions (id) ON DELETE SET NULL,
    class TEXT,
    term INTEGER NOT NULL,
    node TEXT NOT NULL,
    title TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    bytes INTEGER NOT NULL DEFAULT 0,
    seconds REAL NOT NULL DEFAULT 0
);
CREATE INDEX recordings_session ON recordings (session);
