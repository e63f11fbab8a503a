-- Students' progress: anonymous students known by the hash of their cookie, their optional
-- display names, every check they ran and the steps they passed. `IF NOT EXISTS`: databases
-- made before migrations were numbered already hold these tables.
CREATE TABLE IF NOT EXISTS students (
    id TEXT PRIMARY KEY,
    name TEXT,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS passed (
    student TEXT NOT NULL,
    lesson TEXT NOT NULL,
    step INTEGER NOT NULL,
    passed_at INTEGER NOT NULL,
    PRIMARY KEY (student, lesson, step)
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL,
    lesson TEXT NOT NULL,
    step INTEGER NOT NULL,
    passed INTEGER NOT NULL,
    at INTEGER NOT NULL
);
