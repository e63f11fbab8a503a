-- The live side of classes: each instructor's demo playground of a class (its recordings
-- stay with the class), and every help session an instructor had in a student's terminal.
CREATE TABLE class_demos (
    session TEXT PRIMARY KEY,
    class TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE INDEX class_demos_class ON class_demos (class);
CREATE TABLE help_log (
    id INTEGER PRIMARY KEY,
    class TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    seat TEXT NOT NULL,
    student TEXT,
    instructor TEXT NOT NULL,
    term INTEGER NOT NULL,
    asked_at INTEGER NOT NULL,
    granted_at INTEGER,
    ended_at INTEGER,
    -- granted, refused or ended.
    outcome TEXT
);
CREATE INDEX help_log_class ON help_log (class);
-- Whether the class lets its instructor type in a student's terminal without asking first.
ALTER TABLE classes ADD COLUMN help_up_front INTEGER NOT NULL DEFAULT 0;
