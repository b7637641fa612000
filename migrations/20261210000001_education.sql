-- 廉政教育 (issue 12, item 4): one-to-one integrity talks, collective sessions with their
-- attendance, and the talks a year a key post's holder is owed by supervision grade. The domain
-- checks the values on the way in (domain::education); the CHECKs keep a hand-edited row inside
-- the same bounds.

ALTER TABLE district_settings ADD COLUMN talks_first INTEGER NOT NULL DEFAULT 4
    CHECK (talks_first IN (0, 1, 2, 3, 4, 6, 12));
ALTER TABLE district_settings ADD COLUMN talks_second INTEGER NOT NULL DEFAULT 2
    CHECK (talks_second IN (0, 1, 2, 3, 4, 6, 12));
ALTER TABLE district_settings ADD COLUMN talks_third INTEGER NOT NULL DEFAULT 1
    CHECK (talks_third IN (0, 1, 2, 3, 4, 6, 12));

-- 廉政谈话: who talked (as the record names them) with whom, when, about what. `unit_id` is the
-- person's unit on the day it was recorded, so a later move does not carry the talk away.
CREATE TABLE talks (
    id          INTEGER PRIMARY KEY,
    subject_id  INTEGER NOT NULL REFERENCES users (id),
    unit_id     INTEGER NOT NULL REFERENCES org_units (id),
    talker      TEXT    NOT NULL CHECK (length(talker) BETWEEN 1 AND 40),
    held_on     TEXT    NOT NULL CHECK (length(held_on) = 10),
    topic       TEXT    NOT NULL CHECK (length(topic) BETWEEN 2 AND 200),
    recorded_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX talks_by_subject ON talks (subject_id, held_on);
CREATE INDEX talks_by_unit ON talks (unit_id, held_on);

-- 警示教育 / 廉政党课 held for a unit, and who attended.
CREATE TABLE education_sessions (
    id          INTEGER PRIMARY KEY,
    unit_id     INTEGER NOT NULL REFERENCES org_units (id),
    kind        TEXT    NOT NULL CHECK (kind IN ('warning_education', 'party_lecture')),
    held_on     TEXT    NOT NULL CHECK (length(held_on) = 10),
    topic       TEXT    NOT NULL CHECK (length(topic) BETWEEN 2 AND 200),
    recorded_by INTEGER NOT NULL REFERENCES users (id),
    recorded_at INTEGER NOT NULL
);
CREATE INDEX education_sessions_by_unit ON education_sessions (unit_id, held_on);

CREATE TABLE session_attendance (
    session_id INTEGER NOT NULL REFERENCES education_sessions (id),
    user_id    INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (session_id, user_id)
) WITHOUT ROWID;
CREATE INDEX session_attendance_by_user ON session_attendance (user_id);
