-- Running a real district (issue 11): each unit's 分管区领导, the settings the commission owns
-- (the notice period in working days, the 回头看 cadence by grade, the holiday calendar), and a
-- commitment template per post level.

-- The district leader in charge of a unit, as the commission writes it (`副区长 李明`).
ALTER TABLE org_units ADD COLUMN district_leader TEXT
    CHECK (district_leader IS NULL OR length(district_leader) BETWEEN 1 AND 40);

-- One row: the domain checks the values on the way in (domain::settings); the CHECKs keep a
-- hand-edited row inside the same bounds.
CREATE TABLE district_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    notice_days    INTEGER NOT NULL DEFAULT 5 CHECK (notice_days BETWEEN 1 AND 30),
    cadence_first  INTEGER NOT NULL DEFAULT 6 CHECK (cadence_first BETWEEN 1 AND 60),
    cadence_second INTEGER NOT NULL DEFAULT 12 CHECK (cadence_second BETWEEN 1 AND 60),
    cadence_third  INTEGER NOT NULL DEFAULT 24 CHECK (cadence_third BETWEEN 1 AND 60),
    updated_by     INTEGER REFERENCES users (id),
    updated_at     INTEGER
);
INSERT INTO district_settings (id) VALUES (1);

-- The holiday calendar: weekdays off (放假) and weekend days worked (调休上班). Every other day
-- follows the week.
CREATE TABLE calendar_days (
    day  TEXT PRIMARY KEY NOT NULL CHECK (length(day) = 10),
    kind TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name TEXT NOT NULL DEFAULT ''
);

-- A template for one post level; NULL is the template for every level without one of its own.
ALTER TABLE commitment_templates ADD COLUMN post_level TEXT
    CHECK (post_level IS NULL OR post_level IN ('leadership', 'middle', 'general'));
