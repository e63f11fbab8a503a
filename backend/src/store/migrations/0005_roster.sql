-- The live roster of a class. Each check remembers the session it ran in (a class seat's
-- roster reads the checks of its session; the student behind a seat is the one of its
-- latest check) and, when it failed, what it printed (the hint the student saw).
ALTER TABLE checks ADD COLUMN session TEXT;
ALTER TABLE checks ADD COLUMN output TEXT;
CREATE INDEX checks_session ON checks (session);
-- A seat's raised hand: when the student raised it, NULL while it is down.
ALTER TABLE seats ADD COLUMN hand_at INTEGER;
