-- Live sessions, so they outlive the server: a restarted server adopts the containers of
-- the sessions of its instance. Tokens are kept as their sha256 only.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    profile TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    max_expires_at INTEGER NOT NULL,
    warned_at INTEGER,
    lesson TEXT,
    owner TEXT,
    claimed INTEGER NOT NULL
);
CREATE INDEX sessions_instance ON sessions (instance);
CREATE TABLE nodes (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    container TEXT NOT NULL,
    user TEXT,
    PRIMARY KEY (session, name)
);
CREATE TABLE terminals (
    session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    term INTEGER NOT NULL,
    node TEXT NOT NULL,
    PRIMARY KEY (session, term)
);
