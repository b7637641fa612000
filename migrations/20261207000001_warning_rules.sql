-- 预警规则 (issue 12): warnings a rule raises by itself. The commission switches each rule on and
-- sets its threshold in days and the level of its warnings; domain::warning::rules checks them
-- on the way in and evaluates them. A rule's warning names its rule and its cause (one
-- occurrence of one fact, e.g. a measure with its due day); a cause is raised once, ever.
CREATE TABLE warning_rules (
    kind       TEXT    PRIMARY KEY NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
    days       INTEGER NOT NULL CHECK (days BETWEEN 0 AND 365),
    level      TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'red')),
    updated_by INTEGER REFERENCES users (id),
    updated_at INTEGER
);

-- The warnings table gains the source 'rule', a NULL source_ref for it, and the rule and cause
-- columns. SQLite cannot alter a CHECK, so the table is rebuilt inside this migration's
-- transaction. Foreign keys stay on (a PRAGMA cannot change inside a transaction), so dropping
-- the old table would cascade into warning_events: the events are held aside in a table with no
-- foreign key while the tables are swapped, then put back, ids and all.
CREATE TABLE warnings_next (
    id              INTEGER PRIMARY KEY,
    year            INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    unit_id         INTEGER NOT NULL REFERENCES org_units (id),
    subject_id      INTEGER REFERENCES users (id),
    issuer_id       INTEGER REFERENCES users (id),
    level           TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'red')),
    raised_level    TEXT    NOT NULL CHECK (raised_level IN ('blue', 'yellow', 'red')),
    handling        TEXT    NOT NULL CHECK (handling IN ('reminder', 'inquiry', 'admonishment_talk', 'correction', 'supervision')),
    source          TEXT    NOT NULL CHECK (source IN ('complaint', 'inspection', 'audit', 'rule')),
    source_ref      TEXT,
    reason          TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
    status          TEXT    NOT NULL DEFAULT 'awaiting_answer' CHECK (status IN ('awaiting_answer', 'answered', 'closed')),
    due             TEXT    NOT NULL,
    send_backs      INTEGER NOT NULL DEFAULT 0 CHECK (send_backs >= 0),
    answer_analysis TEXT,
    answer_measures TEXT,
    answered_by     INTEGER REFERENCES users (id),
    answered_at     INTEGER,
    raised_at       INTEGER NOT NULL,
    closed_at       INTEGER,
    -- The rule that raised it (a warning_rules kind), and the cause; both NULL for one by hand.
    rule            TEXT,
    cause           TEXT    UNIQUE,
    CHECK ((source = 'rule') = (rule IS NOT NULL AND cause IS NOT NULL AND issuer_id IS NULL)),
    UNIQUE (year, seq)
);
INSERT INTO warnings_next (id, year, seq, unit_id, subject_id, issuer_id, level, raised_level,
    handling, source, source_ref, reason, status, due, send_backs, answer_analysis,
    answer_measures, answered_by, answered_at, raised_at, closed_at)
SELECT id, year, seq, unit_id, subject_id, issuer_id, level, raised_level, handling, source,
    source_ref, reason, status, due, send_backs, answer_analysis, answer_measures, answered_by,
    answered_at, raised_at, closed_at
FROM warnings;

CREATE TABLE warning_events_aside AS SELECT * FROM warning_events;
DROP TABLE warning_events;
DROP TABLE warnings;
ALTER TABLE warnings_next RENAME TO warnings;
CREATE INDEX warnings_unit ON warnings (unit_id);
CREATE INDEX warnings_subject ON warnings (subject_id);
CREATE INDEX warnings_open ON warnings (status, due) WHERE status <> 'closed';

CREATE TABLE warning_events (
    id         INTEGER PRIMARY KEY,
    warning_id INTEGER NOT NULL REFERENCES warnings (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL CHECK (kind IN ('raised', 'answered', 'accepted', 'sent_back', 'escalated')),
    -- NULL: the schedule (an escalation on a late answer, a rule's warning).
    actor_id   INTEGER REFERENCES users (id),
    at         INTEGER NOT NULL,
    level      TEXT    NOT NULL CHECK (level IN ('blue', 'yellow', 'red')),
    note       TEXT,
    measures   TEXT
);
INSERT INTO warning_events (id, warning_id, kind, actor_id, at, level, note, measures)
SELECT id, warning_id, kind, actor_id, at, level, note, measures FROM warning_events_aside;
DROP TABLE warning_events_aside;
CREATE INDEX warning_events_warning ON warning_events (warning_id, id);
