-- Instructors and their classes. Every secret is kept as its sha256 (sign-in links,
-- instructors' browser sessions, a class's instructor token) or as an argon2 hash (passwords).
CREATE TABLE instructors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- argon2id in the PHC string format; NULL until the instructor sets one.
    password TEXT,
    created_at INTEGER NOT NULL
);
-- One-time sign-in links: used once, before they expire.
CREATE TABLE instructor_links (
    token_hash BLOB PRIMARY KEY,
    instructor INTEGER NOT NULL REFERENCES instructors (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
-- An instructor's signed-in browsers (the HttpOnly cookie's token).
CREATE TABLE instructor_sessions (
    token_hash BLOB PRIMARY KEY,
    instructor INTEGER NOT NULL REFERENCES instructors (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE TABLE classes (
    id TEXT PRIMARY KEY,
    instance TEXT NOT NULL,
    instructor INTEGER NOT NULL REFERENCES instructors (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    -- What each seat gets: a lesson, or a blank playground of `profile` with `nodes` nodes.
    lesson TEXT,
    profile TEXT NOT NULL,
    nodes INTEGER NOT NULL,
    seats INTEGER NOT NULL,
    -- The join code students type; unique among the classes not ended.
    code TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    -- Set once the class's seats were ended.
    ended_at INTEGER
);
CREATE INDEX classes_code ON classes (code);
CREATE INDEX classes_instructor ON classes (instructor);
-- Optional single-use codes of a class: each opens one seat, once.
CREATE TABLE class_codes (
    code TEXT PRIMARY KEY,
    class TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    used_at INTEGER
);
-- A class's seats: sessions (rows of `sessions` while they live) made for the class. A seat
-- without a name is ready and unclaimed; a join gives it the student's name.
CREATE TABLE seats (
    session TEXT PRIMARY KEY,
    class TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    name TEXT,
    joined_at INTEGER
);
CREATE INDEX seats_class ON seats (class);
